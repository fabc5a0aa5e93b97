{{/* Names, labels and the settings every Veiviser container shares. */}}

{{- define "veiviser.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "veiviser.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "veiviser.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "veiviser.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: veiviser
{{- end }}

{{/* Selector labels of one service's pods; call with (dict "root" $ "service" name). */}}
{{- define "veiviser.selectorLabels" -}}
app.kubernetes.io/name: {{ include "veiviser.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end }}

{{- define "veiviser.serviceFullname" -}}
{{- printf "%s-%s" (include "veiviser.fullname" .root) .service | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "veiviser.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "veiviser.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "veiviser.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* One service's settings: serviceDefaults overlaid by services.<name>. */}}
{{- define "veiviser.serviceValues" -}}
{{- $own := index .root.Values.services .service | default dict }}
{{- mergeOverwrite (deepCopy .root.Values.serviceDefaults) (deepCopy $own) | toYaml }}
{{- end }}

{{/* An argument list with "{service}" replaced; call with (dict "args" list "service" name). */}}
{{- define "veiviser.args" -}}
{{- $out := list }}
{{- range .args }}
{{- $out = append $out (replace "{service}" $.service (toString .)) }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{- define "veiviser.postgresClusterName" -}}
{{- printf "%s-pg" (include "veiviser.fullname" .) | trunc 50 | trimSuffix "-" }}
{{- end }}

{{- define "veiviser.keysSecretName" -}}
{{- if .Values.keys.existingSecret }}
{{- .Values.keys.existingSecret }}
{{- else }}
{{- printf "%s-keys" (include "veiviser.fullname" .) }}
{{- end }}
{{- end }}

{{/* The Secret and key holding the database role's password. */}}
{{- define "veiviser.databasePasswordRef" -}}
{{- if .Values.postgresql.cluster.enabled -}}
name: {{ printf "%s-app" (include "veiviser.postgresClusterName" .) }}
key: password
{{- else -}}
name: {{ required "postgresql.external.passwordSecret: the Secret holding the PostgreSQL role's password (postgresql.cluster.enabled is false)" .Values.postgresql.external.passwordSecret }}
key: {{ .Values.postgresql.external.passwordKey }}
{{- end }}
{{- end }}

{{/* VEIVISER_DATABASE_URL: the server's URL; the password comes as PGPASSWORD. */}}
{{- define "veiviser.databaseUrl" -}}
{{- if .Values.postgresql.cluster.enabled }}
{{- printf "postgresql://%s@%s-rw:5432/postgres" .Values.postgresql.cluster.owner (include "veiviser.postgresClusterName" .) }}
{{- else }}
{{- $url := required "postgresql.external.url: the PostgreSQL server URL (postgresql.cluster.enabled is false)" .Values.postgresql.external.url }}
{{- if regexMatch "^postgres(ql)?://[^/@]*:[^/@]*@" $url }}
{{- fail "postgresql.external.url holds a password: give the URL without it and the password in postgresql.external.passwordSecret" }}
{{- end }}
{{- $url }}
{{- end }}
{{- end }}

{{/* The in-chart NATS chart's Service name, by that chart's own naming rule. */}}
{{- define "veiviser.natsFullname" -}}
{{- if .Values.nats.fullnameOverride }}
{{- .Values.nats.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "nats" .Values.nats.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "veiviser.natsUrl" -}}
{{- if .Values.nats.enabled }}
{{- printf "nats://%s:4222" (include "veiviser.natsFullname" .) }}
{{- else }}
{{- required "externalNats.url: the NATS URL(s) (nats.enabled is false)" .Values.externalNats.url }}
{{- end }}
{{- end }}

{{- define "veiviser.streamReplicas" -}}
{{- if .Values.nats.enabled }}
{{- if .Values.nats.config.cluster.enabled }}
{{- min 3 (int .Values.nats.config.cluster.replicas) }}
{{- else }}1{{ end }}
{{- else }}
{{- int .Values.externalNats.streamReplicas }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's data: every non-secret VEIVISER_* setting. The chart's own keys and the
secret keys may not come in through .Values.settings.
*/}}
{{- define "veiviser.settings" -}}
{{- $services := list "participants" "housing" "matching" "indicators" }}
{{- $chartKeys := list "VEIVISER_ENV" "VEIVISER_DATABASE_URL" "VEIVISER_DATABASE_PREFIX" "VEIVISER_NATS_URL" "VEIVISER_STREAM_REPLICAS" "VEIVISER_JWKS_URL" "VEIVISER_JWT_ISSUER" "VEIVISER_JWT_AUDIENCE" "VEIVISER_SERVICE" "VEIVISER_PORT" }}
{{- range $services }}
{{- $chartKeys = append $chartKeys (printf "VEIVISER_%s_URL" (upper .)) }}
{{- end }}
{{- $secretKeys := list "VEIVISER_JWT_SECRET" "VEIVISER_LOOKUP_KEY" "VEIVISER_SERVICE_TOKEN" }}
{{- range $key, $value := .Values.settings }}
{{- if has $key $secretKeys }}
{{- fail (printf "settings.%s is a secret: give it through keys.existingSecret, never in the ConfigMap" $key) }}
{{- end }}
{{- if has $key $chartKeys }}
{{- fail (printf "settings.%s is set by the chart from its own values (see values.yaml)" $key) }}
{{- end }}
{{- if not (hasPrefix "VEIVISER_" $key) }}
{{- fail (printf "settings.%s: only VEIVISER_* settings belong here" $key) }}
{{- end }}
{{- end }}
{{- if not (has .Values.environment (list "production" "development")) }}
{{- fail "environment: production or development" }}
{{- end }}
{{- $data := dict
  "VEIVISER_ENV" .Values.environment
  "VEIVISER_DATABASE_URL" (include "veiviser.databaseUrl" .)
  "VEIVISER_DATABASE_PREFIX" .Values.databasePrefix
  "VEIVISER_NATS_URL" (include "veiviser.natsUrl" .)
  "VEIVISER_STREAM_REPLICAS" (include "veiviser.streamReplicas" .)
  "VEIVISER_JWT_AUDIENCE" .Values.auth.audience
}}
{{- /* Where each service finds the others' catch-up feeds (gaps JetStream left). */}}
{{- range $services }}
{{- $_ := set $data (printf "VEIVISER_%s_URL" (upper .)) (printf "http://%s:%v" (include "veiviser.serviceFullname" (dict "root" $ "service" .)) $.Values.service.port) }}
{{- end }}
{{- if .Values.auth.jwksUrl }}
{{- $_ := set $data "VEIVISER_JWKS_URL" .Values.auth.jwksUrl }}
{{- $_ := set $data "VEIVISER_JWT_ISSUER" (required "auth.issuer: what the identity provider puts in iss (auth.jwksUrl is set)" .Values.auth.issuer) }}
{{- else if .Values.auth.issuer }}
{{- $_ := set $data "VEIVISER_JWT_ISSUER" .Values.auth.issuer }}
{{- end }}
{{- range $key, $value := .Values.settings }}
{{- $_ := set $data $key (toString $value) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* The database role's password, by reference (asyncpg reads PGPASSWORD). */}}
{{- define "veiviser.databaseEnv" -}}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      {{- include "veiviser.databasePasswordRef" . | nindent 6 }}
{{- end }}

{{/* The services' keys, by reference; the migrations need neither. */}}
{{- define "veiviser.keysEnv" -}}
{{- if not .Values.auth.jwksUrl }}
- name: VEIVISER_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "veiviser.keysSecretName" . }}
      key: VEIVISER_JWT_SECRET
{{- end }}
- name: VEIVISER_LOOKUP_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "veiviser.keysSecretName" . }}
      key: VEIVISER_LOOKUP_KEY
{{- if .Values.auth.jwksUrl }}
{{- /* With an identity provider a service cannot mint its own token for the others'
catch-up feeds; one it was issued may be kept beside the keys. */}}
- name: VEIVISER_SERVICE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "veiviser.keysSecretName" . }}
      key: VEIVISER_SERVICE_TOKEN
      optional: true
{{- end }}
{{- end }}

{{- define "veiviser.checkKeys" -}}
{{- if and (not .Values.keys.existingSecret) (not .Values.keys.create) }}
{{- fail "keys: set keys.existingSecret to a Secret with VEIVISER_JWT_SECRET and VEIVISER_LOOKUP_KEY, or keys.create: true" }}
{{- end }}
{{- if and .Values.keys.existingSecret .Values.keys.create }}
{{- fail "keys: keys.existingSecret and keys.create exclude each other" }}
{{- end }}
{{- end }}
