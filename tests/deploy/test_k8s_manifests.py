"""The Helm chart in deploy/k8s/: rendered offline, validated, and checked for what matters.

Every core document (Deployment, Service, Job, ...) is validated with
``kubernetes-validate`` in strict mode (unknown fields fail) against the oldest
Kubernetes the chart supports and the newest schemas the package ships. That package
knows the core kinds only: the CloudNativePG ``Cluster`` and ``Database`` resources are
checked here field by field instead, and the NATS chart is not rendered at all (it is
a dependency fetched with network; see tests/deploy/charts.py).
"""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils as kube
from typer.main import get_command

from deploy.cli import app as cli
from deploy.services import KEEP_ALIVE_SECONDS, create_app
from shared.settings import DEVELOPMENT_JWT_SECRET, DEVELOPMENT_LOOKUP_KEY, SERVICES, Settings
from tests.deploy import charts
from tests.support import running

MIN_KUBERNETES = "1.29.0"
"""The chart's kubeVersion floor (Chart.yaml); CloudNativePG 1.25 supports it."""
NEWEST_KUBERNETES = kube.latest_version()
KUBERNETES_VERSIONS = (MIN_KUBERNETES, NEWEST_KUBERNETES)
OVERLAYS = ("dev", "production")
CNPG = "postgresql.cnpg.io/v1"
SECRET_NAMES = {
    "VEIVISER_JWT_SECRET",
    "VEIVISER_LOOKUP_KEY",
    "VEIVISER_SERVICE_TOKEN",
    "PGPASSWORD",
}
DEVELOPMENT_PLACEHOLDERS = {DEVELOPMENT_JWT_SECRET, DEVELOPMENT_LOOKUP_KEY}
ROOT = charts.ROOT
COMPONENT = "app.kubernetes.io/component"


@cache
def _rendered(overlay: str, kube_version: str = MIN_KUBERNETES) -> tuple[dict[str, Any], ...]:
    return tuple(charts.render([charts.overlay(overlay)], kube_version=kube_version))


def rendered(overlay: str, kube_version: str = MIN_KUBERNETES) -> list[dict[str, Any]]:
    return list(_rendered(overlay, kube_version))


def of_kind(
    docs: list[dict[str, Any]], kind: str, *, gateway: bool = False
) -> dict[str, dict[str, Any]]:
    """Documents of ``kind`` by name. The gateway's (component ``gateway``) only with
    ``gateway=True``: the other checks are about the four services and their settings."""
    return {
        doc["metadata"]["name"]: doc
        for doc in docs
        if doc["kind"] == kind
        and gateway == (doc["metadata"].get("labels", {}).get(COMPONENT) == "gateway")
    }


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def cnpg_problems(doc: dict[str, Any]) -> list[str]:
    """What a CloudNativePG resource lacks that the operator (1.25+) requires of it."""
    problems: list[str] = []
    if doc.get("apiVersion") != CNPG:
        problems.append(f"apiVersion {doc.get('apiVersion')!r}, not {CNPG}")
    name = doc.get("metadata", {}).get("name", "")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) or len(name) > 63:
        problems.append(f"metadata.name {name!r} is no DNS label")
    spec = doc.get("spec") or {}
    if doc["kind"] == "Cluster":
        instances = spec.get("instances")
        if not isinstance(instances, int) or instances < 1:
            problems.append("spec.instances must be an integer of at least 1")
        if not re.fullmatch(r"\d+(Mi|Gi|Ti)", str(spec.get("storage", {}).get("size", ""))):
            problems.append("spec.storage.size must be a quantity such as 20Gi")
        initdb = spec.get("bootstrap", {}).get("initdb", {})
        for key in ("database", "owner"):
            if not initdb.get(key):
                problems.append(f"spec.bootstrap.initdb.{key} is missing")
        for key, value in spec.get("postgresql", {}).get("parameters", {}).items():
            if not isinstance(value, str):
                problems.append(f"postgresql.parameters.{key} must be a string")
        known = {
            "instances",
            "imageName",
            "primaryUpdateStrategy",
            "storage",
            "postgresql",
            "resources",
            "affinity",
            "bootstrap",
        }
        problems += [
            f"spec.{key} is not a field the chart means to set" for key in spec.keys() - known
        ]
    elif doc["kind"] == "Database":
        for key in ("name", "owner"):
            if not spec.get(key):
                problems.append(f"spec.{key} is missing")
        if spec.get("name") in {"postgres", "template0", "template1"}:
            problems.append("spec.name is a reserved database")
        if not spec.get("cluster", {}).get("name"):
            problems.append("spec.cluster.name is missing")
        if spec.get("ensure", "present") not in {"present", "absent"}:
            problems.append("spec.ensure must be present or absent")
        if spec.get("databaseReclaimPolicy", "retain") not in {"retain", "delete"}:
            problems.append("spec.databaseReclaimPolicy must be retain or delete")
    else:
        problems.append(f"kind {doc['kind']} is not expected from {CNPG}")
    return problems


@pytest.mark.parametrize("kube_version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_document_validates(overlay: str, kube_version: str) -> None:
    docs = rendered(overlay, kube_version)
    failures: list[str] = []
    for doc in docs:
        label = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["apiVersion"].startswith("postgresql.cnpg.io/"):
            failures += [f"{label}: {problem}" for problem in cnpg_problems(doc)]
            continue
        try:
            kube.validate(doc, kube_version, strict=True)
        except kube.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            failures.append(f"{label}: {where}: {exc.message}")
        except kube.SchemaNotFoundError as exc:
            failures.append(f"{label}: {exc.message}")
    assert not failures, "\n".join(failures)
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    assert {"ConfigMap", "Job", "Cluster", "Database"} <= kinds


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_helm_lint_is_clean(overlay: str) -> None:
    output = charts.lint([charts.overlay(overlay)], kube_version=MIN_KUBERNETES)
    assert "0 chart(s) failed" in output


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_probes_resources_a_budget_and_an_autoscaler(overlay: str) -> None:
    docs = rendered(overlay)
    deployments = {component(doc): doc for doc in of_kind(docs, "Deployment").values()}
    assert set(deployments) == set(SERVICES)
    budgets = {component(doc): doc for doc in of_kind(docs, "PodDisruptionBudget").values()}
    scalers = {component(doc): doc for doc in of_kind(docs, "HorizontalPodAutoscaler").values()}
    services = {component(doc): doc for doc in of_kind(docs, "Service").values()}
    (config,) = of_kind(docs, "ConfigMap").values()
    settings = config["data"]
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [name], "the image's entrypoint takes the service by name"
        # Liveness never asks PostgreSQL or NATS (a restart would not bring them back);
        # readiness does, and takes the pod out of its Service while either is away.
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        resources = container["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"]
        assert resources["limits"]["memory"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True

        budget = budgets[name]["spec"]
        assert budget["selector"]["matchLabels"] == selector
        assert budget.get("maxUnavailable", 0) >= 1 or budget.get("minAvailable") is not None

        scaler = scalers[name]["spec"]
        assert scaler["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": deployment["metadata"]["name"],
        }
        assert 1 <= scaler["minReplicas"] <= scaler["maxReplicas"]
        # The autoscaler owns the replica count: a Deployment that also sets it would be
        # scaled back on every `helm upgrade`.
        assert "replicas" not in deployment["spec"]

        assert services[name]["spec"]["selector"] == selector
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"
        # The other services find this one's catch-up feed through its Service.
        port = services[name]["spec"]["ports"][0]["port"]
        url = f"http://{services[name]['metadata']['name']}:{port}"
        assert settings[f"VEIVISER_{name.upper()}_URL"] == url


def test_the_relay_can_run_in_a_container_of_its_own() -> None:
    """``relay.ownProcess``: every service pod runs ``veiviser relay <service>`` beside the
    service, which is told to leave its outbox to it."""
    docs = charts.render(
        [charts.overlay("production")], {"relay.ownProcess": True}, kube_version=MIN_KUBERNETES
    )
    deployments = {component(doc): doc for doc in of_kind(docs, "Deployment").values()}
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        service, relay = containers(deployment)
        assert service["args"] == [name]
        assert env_of(service)["VEIVISER_RELAY_IN_PROCESS"]["value"] == "false"
        assert relay["args"] == ["veiviser", "relay", name, "--metrics-port", "9100"]
        assert relay["livenessProbe"]["httpGet"]["port"] == "relay-metrics"
        assert "PGPASSWORD" in env_of(relay)
        assert relay["envFrom"] == service["envFrom"]
        assert relay["securityContext"]["readOnlyRootFilesystem"] is True
        assert relay["resources"]["requests"]["cpu"] and relay["resources"]["limits"]["memory"]
        kube.validate(deployment, MIN_KUBERNETES, strict=True)
    # The command the container runs is one the image's CLI has.
    assert "relay" in get_command(cli).commands  # type: ignore[attr-defined]
    default = charts.render([charts.overlay("production")], kube_version=MIN_KUBERNETES)
    for deployment in of_kind(default, "Deployment").values():
        if component(deployment) in SERVICES:
            (service,) = containers(deployment)
            assert "VEIVISER_RELAY_IN_PROCESS" not in env_of(service)


def test_production_keeps_two_replicas_through_a_disruption() -> None:
    docs = rendered("production")
    for scaler in of_kind(docs, "HorizontalPodAutoscaler").values():
        assert scaler["spec"]["minReplicas"] >= 2
    for budget in of_kind(docs, "PodDisruptionBudget").values():
        assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_runs_migrate_before_an_upgrade(overlay: str) -> None:
    docs = rendered(overlay)
    (job,) = of_kind(docs, "Job").values()
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert "pre-upgrade" in hooks
    # The chart's own CloudNativePG cluster exists only once the release's resources do.
    assert "post-install" in hooks
    (container,) = containers(job)
    assert container["args"] == ["migrate"]
    env = env_of(container)
    assert env["VEIVISER_DATABASE_URL"]["value"].startswith("postgresql://")
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "password"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    (deployment, *_) = of_kind(docs, "Deployment").values()
    assert container["image"] == containers(deployment)[0]["image"]


def test_an_existing_database_and_nats_migrate_before_install() -> None:
    docs = charts.render(
        [charts.overlay("production")],
        {
            "postgresql.cluster.enabled": False,
            "postgresql.external.url": "postgresql://veiviser@db.internal:5432/postgres",
            "postgresql.external.passwordSecret": "veiviser-db",
            "nats.enabled": False,
            "externalNats.url": "nats://n1:4222,nats://n2:4222,nats://n3:4222",
            "externalNats.streamReplicas": 3,
        },
        kube_version=MIN_KUBERNETES,
    )
    assert not [doc for doc in docs if doc["apiVersion"] == CNPG]
    (job,) = of_kind(docs, "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    # Before the install nothing the chart makes exists yet: the Job may need none of it.
    made = {(doc["kind"], doc["metadata"]["name"]) for doc in docs if doc is not job}
    pod = job["spec"]["template"]["spec"]
    assert ("ServiceAccount", pod.get("serviceAccountName", "default")) not in made
    (container,) = containers(job)
    assert "envFrom" not in container
    for entry in container["env"]:
        if "valueFrom" in entry:
            assert ("Secret", entry["valueFrom"]["secretKeyRef"]["name"]) not in made
    settings = of_kind(docs, "ConfigMap")["veiviser-settings"]["data"]
    assert settings["VEIVISER_DATABASE_URL"] == "postgresql://veiviser@db.internal:5432/postgres"
    assert settings["VEIVISER_NATS_URL"] == "nats://n1:4222,nats://n2:4222,nats://n3:4222"
    assert settings["VEIVISER_STREAM_REPLICAS"] == "3"
    for doc in [*of_kind(docs, "Deployment").values(), job]:
        password = env_of(containers(doc)[0])["PGPASSWORD"]["valueFrom"]["secretKeyRef"]
        assert password == {"name": "veiviser-db", "key": "password"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(overlay: str) -> None:
    docs = rendered(overlay)
    (settings,) = of_kind(docs, "ConfigMap").values()
    assert not SECRET_NAMES & settings["data"].keys()
    assert not DEVELOPMENT_PLACEHOLDERS & set(settings["data"].values())
    assert all(key.startswith("VEIVISER_") for key in settings["data"])
    workloads = [*of_kind(docs, "Deployment").values(), *of_kind(docs, "Job").values()]
    for workload in workloads:
        for container in containers(workload):
            env = env_of(container)
            for name in SECRET_NAMES & env.keys():
                assert "value" not in env[name], f"{name} inlined in {workload['metadata']['name']}"
                assert env[name]["valueFrom"]["secretKeyRef"]["name"]
            assert not DEVELOPMENT_PLACEHOLDERS & {e.get("value") for e in env.values()}
    for deployment in of_kind(docs, "Deployment").values():
        env = env_of(containers(deployment)[0])
        assert {"VEIVISER_JWT_SECRET", "VEIVISER_LOOKUP_KEY", "PGPASSWORD"} <= env.keys()
    (job,) = of_kind(docs, "Job").values()
    # The migrations need the database and nothing else.
    assert "VEIVISER_LOOKUP_KEY" not in env_of(containers(job)[0])


def test_production_takes_the_keys_from_a_secret_it_does_not_make() -> None:
    docs = rendered("production")
    assert not of_kind(docs, "Secret")
    for deployment in of_kind(docs, "Deployment").values():
        env = env_of(containers(deployment)[0])
        for name in ("VEIVISER_JWT_SECRET", "VEIVISER_LOOKUP_KEY"):
            assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "veiviser-keys", "key": name}
    settings = of_kind(docs, "ConfigMap")["veiviser-settings"]["data"]
    assert settings["VEIVISER_ENV"] == "production"


def test_a_chart_made_secret_gets_random_keys_when_none_are_given() -> None:
    docs = charts.render(
        [charts.overlay("production")],
        {"keys.existingSecret": "", "keys.create": True},
        kube_version=MIN_KUBERNETES,
    )
    (secret,) = of_kind(docs, "Secret").values()
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    keys = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert keys.keys() == {"VEIVISER_JWT_SECRET", "VEIVISER_LOOKUP_KEY"}
    assert all(len(value) == 48 for value in keys.values())
    assert len(set(keys.values())) == 2


def test_with_a_jwks_url_no_hs256_key_is_passed() -> None:
    docs = charts.render(
        [charts.overlay("production")],
        {"auth.jwksUrl": "https://idp.example.org/jwks", "auth.issuer": "https://idp.example.org"},
        kube_version=MIN_KUBERNETES,
    )
    settings = of_kind(docs, "ConfigMap")["veiviser-settings"]["data"]
    assert settings["VEIVISER_JWKS_URL"] == "https://idp.example.org/jwks"
    assert settings["VEIVISER_JWT_ISSUER"] == "https://idp.example.org"
    for deployment in of_kind(docs, "Deployment").values():
        env = env_of(containers(deployment)[0])
        assert "VEIVISER_JWT_SECRET" not in env
        assert "VEIVISER_LOOKUP_KEY" in env
        # A service cannot mint its own token for the catch-up feeds without the HS256 key.
        token = env["VEIVISER_SERVICE_TOKEN"]["valueFrom"]["secretKeyRef"]
        assert token == {"name": "veiviser-keys", "key": "VEIVISER_SERVICE_TOKEN", "optional": True}


@pytest.mark.parametrize(
    ("sets", "refusal"),
    [
        ({"settings.VEIVISER_LOOKUP_KEY": "x" * 40}, "is a secret"),
        ({"settings.VEIVISER_JWT_SECRET": "x" * 40}, "is a secret"),
        ({"settings.VEIVISER_SERVICE_TOKEN": "x" * 40}, "is a secret"),
        ({"settings.VEIVISER_HOUSING_URL": "http://elsewhere"}, "set by the chart"),
        ({"settings.VEIVISER_DATABASE_URL": "postgresql://x@y/postgres"}, "set by the chart"),
        ({"settings.LOG_LEVEL": "DEBUG"}, "only VEIVISER_"),
        ({"keys.existingSecret": ""}, "keys.existingSecret"),
        ({"keys.create": True}, "exclude each other"),
        (
            {
                "keys.existingSecret": "",
                "keys.create": True,
                "keys.lookupKey": "x" * 40,
                "keys.jwtSecret": DEVELOPMENT_JWT_SECRET,
            },
            "development placeholder",
        ),
        (
            {"keys.existingSecret": "", "keys.create": True, "keys.lookupKey": "short"},
            "shorter than 32",
        ),
        (
            {
                "postgresql.cluster.enabled": False,
                "postgresql.external.url": "postgresql://veiviser:hunter2@db:5432/postgres",
                "postgresql.external.passwordSecret": "db",
            },
            "holds a password",
        ),
        ({"postgresql.cluster.enabled": False}, "postgresql.external"),
        ({"nats.enabled": False}, "externalNats.url"),
        ({"auth.jwksUrl": "https://idp.example.org/jwks"}, "auth.issuer"),
        ({"environment": "staging"}, "production or development"),
    ],
)
def test_the_chart_refuses_unsafe_or_incomplete_values(sets: dict[str, Any], refusal: str) -> None:
    with pytest.raises(charts.RenderFailed, match=re.escape(refusal)):
        charts.render([charts.overlay("production")], sets, kube_version=MIN_KUBERNETES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_come_from_values(overlay: str) -> None:
    sets = {"image.repository": "registry.test/kommune/veiviser", "image.tag": "9.9.9"}
    docs = charts.render([charts.overlay(overlay)], sets, kube_version=MIN_KUBERNETES)
    workloads = [*of_kind(docs, "Deployment").values(), *of_kind(docs, "Job").values()]
    assert len(workloads) == len(SERVICES) + 1
    images = {c["image"] for workload in workloads for c in containers(workload)}
    assert images == {"registry.test/kommune/veiviser:9.9.9"}

    digest = "sha256:" + "ab" * 32
    docs = charts.render(
        [charts.overlay(overlay)], {**sets, "image.digest": digest}, kube_version=MIN_KUBERNETES
    )
    workloads = [*of_kind(docs, "Deployment").values(), *of_kind(docs, "Job").values()]
    images = {c["image"] for workload in workloads for c in containers(workload)}
    assert images == {f"registry.test/kommune/veiviser@{digest}"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_postgresql_cluster_with_a_database_per_service(overlay: str) -> None:
    docs = rendered(overlay)
    (cluster,) = of_kind(docs, "Cluster").values()
    assert cluster["apiVersion"] == CNPG
    assert cluster["spec"]["instances"] == (3 if overlay == "production" else 1)
    databases = of_kind(docs, "Database")
    assert {db["spec"]["name"] for db in databases.values()} == {
        Settings(database_prefix="veiviser").database_name(service) for service in SERVICES
    }
    owner = cluster["spec"]["bootstrap"]["initdb"]["owner"]
    for database in databases.values():
        assert database["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert database["spec"]["owner"] == owner
        assert database["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    settings = of_kind(docs, "ConfigMap")["veiviser-settings"]["data"]
    url = settings["VEIVISER_DATABASE_URL"]
    assert url == f"postgresql://{owner}@{cluster['metadata']['name']}-rw:5432/postgres"
    (deployment, *_) = of_kind(docs, "Deployment").values()
    password = env_of(containers(deployment)[0])["PGPASSWORD"]["valueFrom"]["secretKeyRef"]
    # CloudNativePG keeps the owner's password in the Secret "<cluster>-app".
    assert password == {"name": f"{cluster['metadata']['name']}-app", "key": "password"}


def test_a_broken_cluster_resource_is_caught() -> None:
    (cluster,) = of_kind(rendered("production"), "Cluster").values()
    broken = {**cluster, "apiVersion": "postgresql.cnpg.io/v1beta1"}
    broken["spec"] = {**cluster["spec"], "instances": 0, "bootstrap": {"initdb": {}}}
    assert len(cnpg_problems(broken)) == 4


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_is_a_jetstream_cluster_with_file_storage(overlay: str) -> None:
    values = charts.values(overlay)["nats"]
    jetstream = values["config"]["jetstream"]
    assert values["enabled"] is True
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True
    assert jetstream["fileStore"]["pvc"]["enabled"] is True
    assert jetstream["merge"]["sync_interval"] == "always"
    settings = of_kind(rendered(overlay), "ConfigMap")["veiviser-settings"]["data"]
    assert settings["VEIVISER_NATS_URL"] == "nats://veiviser-nats:4222"
    if overlay == "production":
        assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
        assert settings["VEIVISER_STREAM_REPLICAS"] == "3"
    else:
        assert values["config"]["cluster"]["enabled"] is False
        assert settings["VEIVISER_STREAM_REPLICAS"] == "1"


def test_the_nats_url_follows_the_nats_charts_naming() -> None:
    docs = charts.render(
        [charts.overlay("production")], release="nats-veiviser", kube_version=MIN_KUBERNETES
    )
    settings = of_kind(docs, "ConfigMap")["nats-veiviser-settings"]["data"]
    # The NATS chart names its Service after the release alone when that holds "nats".
    assert settings["VEIVISER_NATS_URL"] == "nats://nats-veiviser:4222"


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


# Values that name a Secret or a key in one, not a secret themselves.
_REFERENCES = {
    "keys.existingSecret",
    "postgresql.external.passwordSecret",
    "postgresql.external.passwordKey",
}


@pytest.mark.parametrize("source", ["values.yaml", "dev", "production"])
def test_values_hold_no_keys_and_no_personal_data(source: str) -> None:
    path = charts.CHART / "values.yaml" if source == "values.yaml" else charts.overlay(source)
    text = path.read_text()
    values = yaml.safe_load(text)
    for where, value in _strings(values):
        if re.search(r"(secret|password|key|token)$", where.split(".")[-1], re.I) and value:
            if where in _REFERENCES:
                continue
            assert source == "dev" and value in DEVELOPMENT_PLACEHOLDERS, (
                f"{path.name}: {where} holds a key"
            )
    if source == "dev":
        assert "DEVELOPMENT PLACEHOLDERS" in text
        assert values["environment"] == "development"
    else:
        assert not values["keys"].get("jwtSecret") and not values["keys"].get("lookupKey")
    # Fødselsnummer / D-nummer (11 digits), e-mail addresses, key material.
    assert not re.search(r"(?<!\d)\d{11}(?!\d)", text)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert "PRIVATE KEY" not in text


def test_the_image_and_the_chart_agree() -> None:
    """The entrypoint takes what the chart passes, as the user the chart runs as."""
    values = yaml.safe_load((charts.CHART / "values.yaml").read_text())
    entrypoint = (ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    accepted = {
        word.strip()
        for line in re.findall(r"^\s*([\w |-]+)\)\s*$", entrypoint, re.M)
        for word in line.split("|")
    }
    assert set(SERVICES) <= accepted and values["args"]["migrate"][0] in accepted
    assert values["args"]["service"] == ["{service}"]
    assert "migrate" in get_command(cli).commands  # type: ignore[attr-defined]
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    (user,) = re.findall(r"^USER\s+(\d+)", dockerfile, re.M)
    assert values["podSecurityContext"]["runAsUser"] == int(user)
    assert re.search(r"^EXPOSE\s+8000\b", dockerfile, re.M)
    assert values["serviceDefaults"]["port"] == 8000


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_liveness_holds_while_postgresql_and_nats_are_unreachable(tmp_path: Path) -> None:
    """The probes' paths answer as the chart expects: /healthz up, /readyz 503 without deps."""
    settings = Settings(
        env="development",
        database_url=f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres",
        nats_url=f"nats://127.0.0.1:{_closed_port()}",
        data_dir=tmp_path,
    )
    async with running(create_app("participants", settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] != "ok"
        assert ready.json()["checks"]["nats"] != "ok"


# --- the gateway (deploy/gateway.py; docs/deploy/gateway.md) ------------------------------


def _gateway(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (doc,) = of_kind(docs, kind, gateway=True).values()
    return doc


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_runs_the_generated_nginx_conf_in_front_of_the_services(
    overlay: str,
) -> None:
    docs = rendered(overlay)
    deployment = _gateway(docs, "Deployment")
    service = _gateway(docs, "Service")
    config = _gateway(docs, "ConfigMap")["data"]
    budget = _gateway(docs, "PodDisruptionBudget")["spec"]
    # The same file as the Docker stack's (tests/deploy/test_gateway_config.py checks
    # that one against the generator).
    committed = (ROOT / "deploy" / "docker" / "gateway" / "nginx.conf").read_text()
    assert config["nginx.conf"] == committed
    assert config["docs.html"] == (ROOT / "deploy" / "docker" / "gateway" / "docs.html").read_text()
    services = of_kind(docs, "Service")
    for name in SERVICES:
        (target,) = [s for s in services.values() if component(s) == name]
        port = target["spec"]["ports"][0]["port"]
        assert f"server {target['metadata']['name']}:{port};" in config["upstreams.conf"]
        assert (
            f"map $host $veiviser_upstream_{name} {{ default veiviser_{name}; }}"
            in config["upstreams.conf"]
        )
        assert f"http://$veiviser_upstream_{name};" in committed
    # nginx gives up an idle pooled connection before the service would close it.
    pools = re.findall(r"upstream veiviser_\w+ \{[^}]*\}", config["upstreams.conf"])
    assert len(pools) == len(SERVICES)
    for pool in pools:
        (idle,) = re.findall(r"keepalive_timeout (\d+)s;", pool)
        assert int(idle) < KEEP_ALIVE_SECONDS

    pod = deployment["spec"]["template"]["spec"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert service["spec"]["selector"] == selector
    assert budget["selector"]["matchLabels"] == selector and budget["maxUnavailable"] >= 1
    assert deployment["spec"]["replicas"] >= 2
    (nginx,) = pod["containers"]
    assert nginx["image"] == "nginx:1.27-alpine"
    assert nginx["command"] == ["nginx", "-e", "stderr", "-g", "daemon off;"]
    (port,) = nginx["ports"]
    assert port["name"] == service["spec"]["ports"][0]["targetPort"] == "http"
    assert f"listen {port['containerPort']};" in committed
    for probe in ("livenessProbe", "readinessProbe"):
        assert nginx[probe]["httpGet"]["path"] == "/_gateway/healthz"
    assert "location = /_gateway/healthz" in committed
    assert nginx["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert nginx["resources"]["limits"]["memory"]

    # What nginx.conf reads is where the pod mounts it.
    mounts = {m["mountPath"]: m for m in nginx["volumeMounts"]}
    assert mounts["/etc/nginx/nginx.conf"]["subPath"] == "nginx.conf"
    assert "include /etc/nginx/veiviser/upstreams.conf;" in committed
    assert "alias /etc/nginx/veiviser/docs.html;" in committed
    assert "/etc/nginx/veiviser" in mounts and "/tmp" in mounts
    assert "alias /usr/share/veiviser/openapi/veiviser.json;" in committed
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert (
        volumes[mounts["/etc/nginx/veiviser"]["name"]]["configMap"]["name"]
        == (_gateway(docs, "ConfigMap")["metadata"]["name"])
    )
    # The merged document is written at start from the service image, by the command
    # that writes docs/openapi/veiviser.json, into the folder nginx serves it from.
    (init,) = pod["initContainers"]
    (service_deployment, *_) = of_kind(docs, "Deployment").values()
    assert init["image"] == containers(service_deployment)[0]["image"]
    assert init["args"] == ["veiviser", "openapi", "--write", "--directory", "/openapi"]
    init_mounts = {m["mountPath"]: m["name"] for m in init["volumeMounts"]}
    assert init_mounts["/openapi"] == mounts["/usr/share/veiviser/openapi"]["name"]
    assert "emptyDir" in volumes[init_mounts["/openapi"]]
    openapi = get_command(cli).commands["openapi"]  # type: ignore[attr-defined]
    options = {opt for param in openapi.params for opt in param.opts}
    assert {"--write", "--directory"} <= options
    # Nothing secret reaches the gateway.
    assert not any("env" in c or "envFrom" in c for c in [nginx, init])
    assert not of_kind(docs, "Ingress", gateway=True)


def test_the_gateway_image_comes_from_values() -> None:
    sets = {"gateway.image.repository": "registry.test/nginx", "gateway.image.tag": "1.29"}
    docs = charts.render([charts.overlay("production")], sets, kube_version=MIN_KUBERNETES)
    (nginx,) = _gateway(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert nginx["image"] == "registry.test/nginx:1.29"
    digest = "sha256:" + "cd" * 32
    docs = charts.render(
        [charts.overlay("production")],
        {**sets, "gateway.image.digest": digest},
        kube_version=MIN_KUBERNETES,
    )
    (nginx,) = _gateway(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert nginx["image"] == f"registry.test/nginx@{digest}"


def test_without_the_gateway_the_chart_makes_none_of_it() -> None:
    docs = charts.render(
        [charts.overlay("production")], {"gateway.enabled": False}, kube_version=MIN_KUBERNETES
    )
    assert not [
        doc for doc in docs if doc["metadata"].get("labels", {}).get(COMPONENT) == "gateway"
    ]
    assert len(of_kind(docs, "Deployment")) == len(SERVICES)


@pytest.mark.parametrize("kube_version", KUBERNETES_VERSIONS)
def test_an_ingress_with_host_and_tls_points_at_the_gateway(kube_version: str) -> None:
    sets = {
        "ingress.enabled": True,
        "ingress.className": "nginx",
        "ingress.host": "api.veiviser.kommune.no",
        "ingress.tls.enabled": True,
        "ingress.tls.secretName": "veiviser-api-tls",
        "ingress.annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "2m"},
    }
    docs = charts.render([charts.overlay("production")], sets, kube_version=kube_version)
    ingress = _gateway(docs, "Ingress")
    kube.validate(ingress, kube_version, strict=True)
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"secretName": "veiviser-api-tls", "hosts": ["api.veiviser.kommune.no"]}]
    assert ingress["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/proxy-body-size": "2m"
    }
    (rule,) = spec["rules"]
    assert rule["host"] == "api.veiviser.kommune.no"
    (path,) = rule["http"]["paths"]
    assert path["path"] == "/" and path["pathType"] == "Prefix"
    gateway = _gateway(docs, "Service")
    assert path["backend"]["service"] == {
        "name": gateway["metadata"]["name"],
        "port": {"name": gateway["spec"]["ports"][0]["name"]},
    }


def test_an_ingress_without_host_or_class_takes_every_host() -> None:
    docs = charts.render(
        [charts.overlay("dev")], {"ingress.enabled": True}, kube_version=MIN_KUBERNETES
    )
    ingress = _gateway(docs, "Ingress")
    kube.validate(ingress, MIN_KUBERNETES, strict=True)
    assert "ingressClassName" not in ingress["spec"] and "tls" not in ingress["spec"]
    (rule,) = ingress["spec"]["rules"]
    assert "host" not in rule


@pytest.mark.parametrize(
    ("sets", "refusal"),
    [
        ({"ingress.enabled": True, "gateway.enabled": False}, "turn gateway.enabled on"),
        (
            {"ingress.enabled": True, "ingress.tls.enabled": True, "ingress.host": "a.example"},
            "ingress.tls.secretName",
        ),
        (
            {"ingress.enabled": True, "ingress.tls.enabled": True, "ingress.tls.secretName": "t"},
            "ingress.host",
        ),
        ({"settings.VEIVISER_MAX_REQUEST_BYTES": "2097152"}, "the gateway refuses bodies over"),
    ],
)
def test_the_chart_refuses_a_gateway_it_cannot_run(sets: dict[str, Any], refusal: str) -> None:
    with pytest.raises(charts.RenderFailed, match=re.escape(refusal)):
        charts.render([charts.overlay("production")], sets, kube_version=MIN_KUBERNETES)


def test_a_smaller_request_limit_is_left_to_the_services() -> None:
    docs = charts.render(
        [charts.overlay("production")],
        {"settings.VEIVISER_MAX_REQUEST_BYTES": "65536"},
        kube_version=MIN_KUBERNETES,
    )
    assert (
        of_kind(docs, "ConfigMap")["veiviser-settings"]["data"]["VEIVISER_MAX_REQUEST_BYTES"]
        == "65536"
    )


def test_the_install_notes_say_where_the_gateway_answers() -> None:
    through_port_forward = charts.notes([charts.overlay("dev")])
    assert "port-forward svc/veiviser-gateway 28000:80" in through_port_forward
    with_ingress = charts.notes(
        [charts.overlay("dev")],
        {
            "ingress.enabled": True,
            "ingress.host": "veiviser.kommune.no",
            "ingress.tls.enabled": True,
            "ingress.tls.secretName": "veiviser-tls",
        },
    )
    assert "https://veiviser.kommune.no/" in with_ingress
    assert "port-forward svc/veiviser-gateway" not in with_ingress
