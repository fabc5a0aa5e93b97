"""The API gateway's nginx configuration, generated from the four services' OpenAPI documents.

One entry point for front-ends: a path's first segment belongs to exactly one service and
is proxied there unchanged (``/participants…``, ``/housing…``, ``/employers…``, …); the
paths every service has (health, problem catalogue, AsyncAPI, OpenAPI, Swagger UI, access
log, event schemas) are reached under ``/_services/{service}{path}`` with the prefix
stripped. ``/metrics`` and the catch-up feed ``/events`` are service-to-service and are
not routed. The gateway itself answers ``/openapi.json`` (the merged document),
``/docs`` (Swagger UI for it) and ``/_gateway/healthz``; everything else is a 404 problem.

The table is worked out from the OpenAPI documents, so a new first segment changes the
generated file, and ``tests/deploy/test_gateway_config.py`` fails until the committed
copies are regenerated::

    .venv/bin/python -m deploy.gateway --write   # or --check

The same ``nginx.conf`` serves the Docker stack (``deploy/docker/gateway/``) and the
Kubernetes chart (``deploy/k8s/veiviser/files/gateway/``). What differs, where the
services are, comes from ``/etc/nginx/veiviser/upstreams.conf``: one variable
``$veiviser_upstream_<service>`` per service (docs/deploy/gateway.md).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.services import create_app
from shared.i18n import catalog
from shared.openapi import NOT_AT_GATEWAY, is_shared_path, path_owners
from shared.problems import PROBLEM_BASE
from shared.settings import SERVICES, Settings

ROOT = Path(__file__).resolve().parents[1]
CONFIG_NAME = "nginx.conf"
DOCS_NAME = "docs.html"
UPSTREAMS_NAME = "upstreams.conf"
DOCKER_DIR = ROOT / "deploy" / "docker" / "gateway"
CHART_DIR = ROOT / "deploy" / "k8s" / "veiviser" / "files" / "gateway"
"""Where the generated files are committed: the Docker stack's and the chart's copy (a
chart can only read files inside itself). The chart writes its own upstreams.conf."""
SERVICE_PORT = 8000
"""The services' port inside the Docker stack (VEIVISER_PORT in compose.yaml)."""

FRAMEWORK_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect")
"""Served by FastAPI itself and not listed in the documents."""

LISTEN_PORT = 8080
"""Not 80: the gateway runs as an unprivileged user in the chart."""
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 120
"""Generous on purpose: PDF reports, CSV imports and the matching runs take seconds."""
CLIENT_TIMEOUT_SECONDS = 30
OPENAPI_FILE = "/usr/share/veiviser/openapi/veiviser.json"
"""Where the gateway container finds the merged document (mounted or generated)."""
UPSTREAMS_FILE = "/etc/nginx/veiviser/upstreams.conf"
DOCS_FILE = "/etc/nginx/veiviser/docs.html"
GATEWAY_HEALTH = "/_gateway/healthz"


_SAFE_PATH = re.compile(r"^[A-Za-z0-9._~/-]*$")


class GatewayConfigError(Exception):
    """The services' documents cannot be routed (a first segment owned twice, …)."""


@dataclass(frozen=True)
class Routes:
    """Which service owns which first segment, and each service's shared paths."""

    owners: dict[str, str]
    """First segment (``participants``, ``employers``, …) → service."""
    shared: dict[str, tuple[str, ...]]
    """Service → its shared path templates (``/healthz``, ``/problems``, …), sorted."""

    def segments(self, service: str) -> list[str]:
        """The first segments ``service`` owns, sorted."""
        return sorted(segment for segment, owner in self.owners.items() if owner == service)


def service_documents() -> dict[str, dict[str, Any]]:
    """The four services' OpenAPI documents, built as ``veiviser openapi`` builds them."""
    from shared.openapi import build_document

    return {
        service: build_document(create_app(service, Settings(env="development")), service)
        for service in SERVICES
    }


def route_table(documents: Mapping[str, Mapping[str, Any]]) -> Routes:
    """Ownership of first segments (the kit's :func:`shared.openapi.path_owners`, the same
    table the merged document is checked against) and each service's shared paths.

    Raises :class:`GatewayConfigError` when two services claim one first segment: the
    gateway could not tell where such a path goes.
    """
    try:
        owners = path_owners(documents)
    except ValueError as exc:
        raise GatewayConfigError(str(exc)) from exc
    shared = {
        service: tuple(
            sorted(
                set(FRAMEWORK_PATHS)
                | {
                    path
                    for path in document.get("paths", {})
                    if is_shared_path(path) and path not in NOT_AT_GATEWAY
                }
            )
        )
        for service, document in documents.items()
    }
    return Routes(owners=owners, shared=shared)


def _path_regex(template: str) -> str:
    """An OpenAPI path template as an nginx regular expression (``{x}`` → one segment)."""
    out = []
    for piece in re.split(r"(\{[^}]+\})", template):
        out.append("[^/]+" if piece.startswith("{") else _escape(piece))
    return "".join(out)


def _escape(text: str) -> str:
    """A literal piece of a path in an nginx (PCRE) regular expression."""
    if not _SAFE_PATH.match(text):
        raise GatewayConfigError(f"path piece {text!r} has characters the gateway does not route")
    return text.replace(".", "\\.")


def _json_literal(value: Mapping[str, Any]) -> str:
    """A JSON object as a single-quoted nginx string."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _problem(code: str, status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def _too_large_problems(max_bytes: int) -> dict[str, dict[str, Any]]:
    """The 413 problem in bokmål, nynorsk and English, worded as the services word it."""
    texts = catalog("shared")
    english = (
        f"The request body is larger than {max_bytes} bytes, the most this service accepts "
        "(setting VEIVISER_MAX_REQUEST_BYTES)."
    )
    out = {}
    for locale in ("nb", "nn", "en"):
        title = texts.find("problem.request-too-large.title", locale) or "Request body too large"
        template = texts.find("problem.request-too-large.detail", locale)
        detail = english if locale == "en" or template is None else template
        detail = detail.replace("{max_bytes}", str(max_bytes))
        out[locale] = _problem("request-too-large", 413, title, detail, max_bytes=max_bytes)
    return out


GATEWAY_PROBLEMS = {
    "not-found": (
        404,
        "Fant ikke / Not found",
        "Ingen tjeneste svarer på denne stien i gatewayen. / No service answers this path "
        "at the gateway.",
    ),
    "service-unavailable": (
        503,
        "Tjenesten svarer ikke / Service unavailable",
        "Gatewayen nådde ikke tjenesten; prøv igjen om litt. / The gateway could not reach "
        "the service; try again shortly.",
    ),
}


def render_nginx_conf(routes: Routes, max_request_bytes: int) -> str:
    """The whole ``nginx.conf`` (the same text for the Docker stack and the chart)."""
    too_large = _too_large_problems(max_request_bytes)
    lines = [
        "# Veiviser's API gateway. GENERATED by deploy/gateway.py from the four services'",
        "# OpenAPI documents: do not edit; run",
        "#   .venv/bin/python -m deploy.gateway --write",
        "# (tests/deploy/test_gateway_config.py fails while this file differs). Where the",
        f"# services are comes from {UPSTREAMS_FILE} (docs/deploy/gateway.md).",
        "",
        "worker_processes auto;",
        "pid /tmp/nginx.pid;",
        "error_log stderr warn;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        "    default_type application/octet-stream;",
        "    server_tokens off;",
        "    # Writable by an unprivileged user with a read-only root file system.",
        "    client_body_temp_path /tmp/nginx-client-body;",
        "    proxy_temp_path /tmp/nginx-proxy;",
        "    fastcgi_temp_path /tmp/nginx-fastcgi;",
        "    uwsgi_temp_path /tmp/nginx-uwsgi;",
        "    scgi_temp_path /tmp/nginx-scgi;",
        "",
        "    # The path as the client sent it, without the query string: queries carry search",
        "    # terms (names, dates of birth), so the access log never holds them. No bodies,",
        "    # headers, client address, referrer (a front-end's own URL and query) or user",
        "    # agent either.",
        "    map $request_uri $veiviser_path {",
        '        "~^(?<veiviser_path_only>[^?]*)" $veiviser_path_only;',
        "        default $request_uri;",
        "    }",
        "    # The client's X-Correlation-Id, or one made here; the services echo it back.",
        "    map $http_x_correlation_id $veiviser_correlation_id {",
        '        "" $request_id;',
        "        default $http_x_correlation_id;",
        "    }",
        "    map $http_accept_language $veiviser_locale {",
        "        ~*^en en;",
        "        ~*^nn nn;",
        "        default nb;",
        "    }",
        "    log_format veiviser escape=json",
        '        \'{"time":"$time_iso8601","method":"$request_method",\'',
        '        \'"path":"$veiviser_path","status":$status,"bytes":$body_bytes_sent,\'',
        '        \'"duration_s":$request_time,"upstream":"$upstream_addr",\'',
        '        \'"upstream_status":"$upstream_status",\'',
        '        \'"correlation_id":"$veiviser_correlation_id"}\';',
        "    access_log /dev/stdout veiviser;",
        "",
        "    # $veiviser_upstream_<service> for each service (and a resolver when they are",
        "    # host names): the only part that differs between the Docker stack and the chart.",
        f"    include {UPSTREAMS_FILE};",
        "",
        "    server {",
        f"        listen {LISTEN_PORT};",
        "        server_name _;",
        "",
        "        # VEIVISER_MAX_REQUEST_BYTES of the services (shared/settings.py): a body",
        "        # they would refuse is refused here, before it crosses the network.",
        f"        client_max_body_size {max_request_bytes};",
        "        client_body_buffer_size 128k;",
        f"        client_body_timeout {CLIENT_TIMEOUT_SECONDS}s;",
        f"        client_header_timeout {CLIENT_TIMEOUT_SECONDS}s;",
        f"        send_timeout {READ_TIMEOUT_SECONDS}s;",
        f"        proxy_connect_timeout {CONNECT_TIMEOUT_SECONDS}s;",
        f"        proxy_send_timeout {READ_TIMEOUT_SECONDS}s;",
        f"        proxy_read_timeout {READ_TIMEOUT_SECONDS}s;",
        "        proxy_http_version 1.1;",
        '        proxy_set_header Connection "";',
        "        proxy_set_header Host $http_host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_set_header X-Forwarded-Host $http_host;",
        "        proxy_set_header X-Correlation-Id $veiviser_correlation_id;",
        "        # The services' own errors (problem details) pass through unchanged; only",
        "        # the gateway's own are answered below.",
        "        proxy_intercept_errors off;",
        "        error_page 413 @request_too_large;",
        "        error_page 502 503 504 @service_unavailable;",
        "",
        "        location @request_too_large {",
        "            default_type application/problem+json;",
        "            add_header Content-Language $veiviser_locale always;",
        "            add_header Vary Accept-Language always;",
        "            add_header X-Correlation-Id $veiviser_correlation_id always;",
        "            if ($veiviser_locale = en) {",
        f"                return 413 {_json_literal(too_large['en'])};",
        "            }",
        "            if ($veiviser_locale = nn) {",
        f"                return 413 {_json_literal(too_large['nn'])};",
        "            }",
        f"            return 413 {_json_literal(too_large['nb'])};",
        "        }",
    ]
    for name, (status, title, detail) in GATEWAY_PROBLEMS.items():
        location = name.replace("-", "_")
        lines += [
            "",
            f"        location @{location} {{",
            "            default_type application/problem+json;",
            "            add_header X-Correlation-Id $veiviser_correlation_id always;",
            f"            return {status} {_json_literal(_problem(name, status, title, detail))};",
            "        }",
        ]
    lines += [
        "",
        "        # The gateway's own: the merged OpenAPI document, Swagger UI, its health.",
        "        location = /openapi.json {",
        "            default_type application/json;",
        f"            alias {OPENAPI_FILE};",
        "        }",
        "        location = /docs {",
        "            default_type text/html;",
        f"            alias {DOCS_FILE};",
        "        }",
        f"        location = {GATEWAY_HEALTH} {{",
        "            access_log off;",
        "            default_type application/json;",
        """            return 200 '{"status":"ok"}';""",
        "        }",
        "",
        "        # Business paths, by first segment, passed on unchanged.",
    ]
    for service in SERVICES:
        segments = "|".join(_escape(s) for s in routes.segments(service))
        lines += [
            f"        location ~ ^/({segments})(?:/|$) {{",
            f"            proxy_pass http://$veiviser_upstream_{service};",
            "        }",
        ]
    lines += [
        "",
        "        # Each service's shared paths under /_services/{service}, the prefix stripped.",
    ]
    for service in SERVICES:
        alternatives = "|".join(_path_regex(p) for p in routes.shared[service])
        lines += [
            f"        location ~ ^/_services/{service}(?<veiviser_shared_path>{alternatives})$ {{",
            "            rewrite ^ $veiviser_shared_path break;",
            f"            proxy_pass http://$veiviser_upstream_{service};",
            "        }",
        ]
    lines += [
        "",
        "        # Everything else (/metrics, /events, unknown segments): not here.",
        "        location / {",
        "            return 404;",
        "        }",
        "        error_page 404 @not_found;",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


def render_docs_html() -> str:
    """Swagger UI for the merged document, from the same CDN the services' /docs use."""
    return """<!doctype html>
<!-- GENERATED by deploy/gateway.py: Swagger UI for the gateway's /openapi.json. -->
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Veiviser API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout"
});
</script>
</body>
</html>
"""


def render_compose_upstreams() -> str:
    """The Docker stack's upstreams.conf: the services by their compose names, looked up
    through Docker's DNS when a request comes (a restarted container may get another
    address), so nginx also starts before the services do."""
    lines = [
        "# The Docker stack's service addresses for the gateway. GENERATED by deploy/gateway.py.",
        "# Docker's DNS, asked at request time (valid 10 s): a restarted container's new",
        "# address is found without restarting nginx.",
        "resolver 127.0.0.11 valid=10s ipv6=off;",
        "resolver_timeout 5s;",
    ]
    for service in SERVICES:
        lines.append(
            f"map $host $veiviser_upstream_{service} {{ default {service}:{SERVICE_PORT}; }}"
        )
    return "\n".join(lines) + "\n"


def max_request_bytes() -> int:
    """The services' default VEIVISER_MAX_REQUEST_BYTES (not this shell's environment:
    the committed file must not depend on who generated it)."""
    default = Settings.model_fields["max_request_bytes"].default
    assert isinstance(default, int)
    return default


def generated_files(
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[Path, str]:
    """Path → text of every generated file (both copies)."""
    routes = route_table(documents if documents is not None else service_documents())
    shared = {
        CONFIG_NAME: render_nginx_conf(routes, max_request_bytes()),
        DOCS_NAME: render_docs_html(),
    }
    files = {
        folder / name: text for folder in (DOCKER_DIR, CHART_DIR) for name, text in shared.items()
    }
    files[DOCKER_DIR / UPSTREAMS_NAME] = render_compose_upstreams()
    return files


def stale_files(files: Mapping[Path, str]) -> list[Path]:
    """The committed files that differ from ``files``."""
    return [
        path
        for path, text in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.gateway", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the committed copies")
    action.add_argument("--check", action="store_true", help="exit 1 when a copy differs")
    args = parser.parse_args(argv)
    files = generated_files()
    stale = stale_files(files)
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from the generated one", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
