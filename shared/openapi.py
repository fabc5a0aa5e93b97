"""The OpenAPI documents: one pipeline for every service, and the merged document.

Each service's document is FastAPI's, then passed through :data:`KIT_STEPS` (security
from the route's dependencies, camelCase operation ids, tags, servers, licence, every
4xx a caller can get with its rule codes), then through :data:`POST_PROCESSORS`
(other kit modules add theirs there, e.g. examples) and last through the steps a
service hands :func:`install_openapi` itself. The document is built once per process
and cached, as FastAPI does.

:func:`merge_documents` joins the four into the one document the gateway serves:
business paths as they are (each path's first segment belongs to one service, see
:func:`path_owners`), the paths every service has under ``/_services/{service}``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from shared.auth import requires_bearer
from shared.problem_docs import service_rules
from shared.problems import PROBLEM_BASE
from shared.rule_usage import rules_reached
from shared.rules import catalogue
from shared.settings import DEFAULT_PORTS

API_VERSION = "1.0.0"
"""The API's version (``info.version`` of every document; see docs/api/versioning.md).

The one place it is set: additive changes raise the minor, a removal or other breaking
change (after its notice period) the major."""

BEARER_SCHEME = "bearerAuth"
PROBLEM_JSON = "application/problem+json"
LICENSE = {
    # OpenAPI 3.1: `identifier` (SPDX) and `url` exclude each other; the URL is the text.
    "name": "EUPL-1.2",
    "url": "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12",
}
CONTACT = {
    "name": "Veiviser",
    "url": "https://github.com/veiviser/veiviser",
}
SHARED_SEGMENTS = frozenset({"healthz", "readyz", "problems", "asyncapi.json", "access", "events"})
"""First path segments every service has: at the gateway under ``/_services/{service}``."""
NOT_AT_GATEWAY = ("/metrics", "/events")
"""Paths (exactly) the gateway does not expose: scraping and the service-to-service feed."""
OPERATIONS_TAG = "operations"

KIT_TAGS: dict[str, str] = {
    OPERATIONS_TAG: "Drift: helse, beredskap, metrikker og regelkodene. / Operations: health, "
    "readiness, metrics and the rule codes.",
    "events": "Hendelseskontrakten (AsyncAPI, JSON Schema) og innhentingsstrømmen mellom "
    "tjenestene. / The event contract (AsyncAPI, JSON Schema) and the catch-up feed between "
    "services.",
    "access": "Innsyn: hva tjenesten har om en deltaker. / Access requests: what the service "
    "holds about a participant.",
}

_STATUS_TEXT: dict[int, str] = {
    400: "Ugyldig forespørsel. / Bad request.",
    401: "Mangler, ugyldig eller utløpt bærertoken (`Authorization: Bearer <token>`). / "
    "Missing, invalid or expired bearer token.",
    403: "Tokenets roller gir ikke tilgang til dette. / The token's roles do not allow this.",
    404: "Finnes ikke (eller hører til en annen kommune: samme svar). / Not found (or belongs "
    "to another municipality: the same answer).",
    409: "Strider mot gjeldende tilstand (versjon, regel eller Idempotency-Key); svaret sier "
    "hvordan man prøver igjen. / Conflicts with the current state (version, rule or "
    "Idempotency-Key); the body says how to retry.",
    413: "Forespørselen er for stor. / The request body is too large.",
    422: "Ugyldige data; `errors` nevner hvert felt, `code` regelen. / Invalid input; `errors` "
    "names each field, `code` the rule.",
}
_COMMAND_METHODS = frozenset({"post", "put", "patch", "delete"})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class OpenAPIContext:
    """What a pipeline step may read besides the document itself."""

    app: FastAPI
    service: str
    routes: dict[tuple[str, str], routing.RouteContext] = field(default_factory=dict)
    """The route behind each operation, by (path, lower-case method)."""


Step = Callable[[dict[str, Any], OpenAPIContext], None]
"""A pipeline step: changes the document in place."""

POST_PROCESSORS: list[Step] = []
"""Steps other kit modules add (``POST_PROCESSORS.append(step)`` at import), run after the
kit's own steps and before a service's; e.g. the request and response examples."""


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (path, method, operation) of ``document``, in document order."""
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def camel_case(name: str) -> str:
    """``register_participant`` → ``registerParticipant`` (an operation id)."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    if not parts:
        return name
    head, *rest = parts
    return head[0].lower() + head[1:] + "".join(p[0].upper() + p[1:] for p in rest)


def operation_id(route: routing.APIRoute) -> str:
    """FastAPI's ``generate_unique_id_function``: the camelCase of the route's name."""
    return camel_case(route.name)


def _route_contexts(app: FastAPI) -> dict[tuple[str, str], routing.RouteContext]:
    found: dict[tuple[str, str], routing.RouteContext] = {}
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        if not context.include_in_schema:
            continue
        for method in context.methods or ():
            found[(str(context.path_format), method.lower())] = context
    return found


def _dependency_calls(dependant: Dependant | None) -> Iterator[Any]:
    if dependant is None:
        return
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)


def _add_info(document: dict[str, Any], context: OpenAPIContext) -> None:
    info = document["info"]
    info["version"] = API_VERSION
    info["license"] = dict(LICENSE)
    info["contact"] = dict(CONTACT)
    port = DEFAULT_PORTS.get(context.service)
    document["servers"] = [
        {
            "url": "/",
            "description": "Samme vert som dokumentet (gatewayen eller tjenesten). / The host "
            "serving this document (the gateway or the service).",
        }
    ]
    if port is not None:
        document["servers"].append(
            {
                "url": f"http://127.0.0.1:{port}",
                "description": f"{context.service} lokalt (`make run`). / {context.service} "
                "locally (`make run`).",
            }
        )


def _add_security(document: dict[str, Any], context: OpenAPIContext) -> None:
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[BEARER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "JWT med `sub`, `roles`, `municipality` og `exp` (i utvikling: "
        "`veiviser token --role caseworker`). / A JWT carrying `sub`, `roles`, `municipality` "
        "and `exp` (in development: `veiviser token --role caseworker`).",
    }
    for path, method, operation in operations(document):
        route = context.routes.get((path, method))
        protected = route is not None and any(
            requires_bearer(call) for call in _dependency_calls(route.dependant)
        )
        operation["security"] = [{BEARER_SCHEME: []}] if protected else []


def _operation_ids(document: dict[str, Any], context: OpenAPIContext) -> None:
    # Routes given an explicit operation_id (in snake case) come out as the rest do.
    seen: dict[str, str] = {}
    for path, method, operation in operations(document):
        op_id = camel_case(operation["operationId"])
        if op_id in seen:
            raise ValueError(
                f"{context.service}: operationId {op_id} of {method.upper()} {path} is also "
                f"{seen[op_id]}'s; give one of the routes another name"
            )
        seen[op_id] = f"{method.upper()} {path}"
        operation["operationId"] = op_id


def _add_tags(document: dict[str, Any], context: OpenAPIContext) -> None:
    declared = {tag["name"]: tag for tag in document.get("tags", [])}
    for _path, _method, operation in operations(document):
        tags = operation.setdefault("tags", [])
        if not tags:
            tags.append(OPERATIONS_TAG)
        for name in tags:
            if name not in declared:
                declared[name] = {"name": name, "description": KIT_TAGS.get(name, name)}
    document["tags"] = sorted(declared.values(), key=lambda tag: str(tag["name"]))


RESPONSE_NAMES: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "PayloadTooLarge",
    422: "UnprocessableContent",
}
"""The shared 4xx responses (``components.responses``) operations refer to."""


def _problem_response(status: int, codes: list[dict[str, Any]]) -> dict[str, Any]:
    description = _STATUS_TEXT.get(status, "Feil. / Error.")
    if codes:
        description += " Regelkoder / rule codes: " + ", ".join(f"`{c['code']}`" for c in codes)
        description += "."
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    if codes:
        response["x-problem-codes"] = [c["code"] for c in codes]
    return response


def _add_problem_responses(document: dict[str, Any], context: OpenAPIContext) -> None:
    """Every 4xx an operation can answer, as a reference to the status's shared response
    (problem details, and the rule codes of that status the service declares)."""
    by_status: dict[int, list[dict[str, Any]]] = {}
    for rule in service_rules(context.service):
        by_status.setdefault(int(rule["status"]), []).append(rule)
    used: set[int] = set()
    for path, method, operation in operations(document):
        responses = operation.setdefault("responses", {})
        statuses = {int(s) for s in responses if s.isdigit() and s.startswith("4")}
        has_body = "requestBody" in operation
        if operation.get("security"):
            statuses |= {401, 403}
        if "{" in path:
            statuses.add(404)
        if method in _COMMAND_METHODS and operation.get("security"):
            statuses.add(409)
        if has_body:
            statuses.add(413)
        # Every route refuses query parameters it does not declare (422, naming them),
        # and validates its parameters and body.
        statuses.add(422)
        for status in sorted(statuses):
            name = RESPONSE_NAMES.get(status)
            if name is None:
                continue
            responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
            used.add(status)
    components = document.setdefault("components", {})
    components["responses"] = {
        RESPONSE_NAMES[status]: _problem_response(status, by_status.get(status, []))
        for status in sorted(used)
    }
    schemas = components.get("schemas", {})
    if "HTTPValidationError" not in json.dumps(document.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(document):
            schemas.pop("ValidationError", None)


def _add_operation_rule_codes(document: dict[str, Any], context: OpenAPIContext) -> None:
    """Per operation, the rule codes its own code can answer (``x-rule-codes`` by status,
    and a sentence in the description), read off the code it reaches
    (:mod:`shared.rule_usage`); the shared 4xx responses list every code of the status."""
    for path, method, operation in operations(document):
        route_context = context.routes.get((path, method))
        if route_context is None:
            continue
        route = route_context.original_route
        assert isinstance(route, routing.APIRoute)
        reached = rules_reached([route.endpoint, *_dependency_calls(route.dependant)])
        by_status: dict[str, list[str]] = {}
        for found in reached:
            rule = catalogue.find(found.code, context.service)
            if rule is None or not (
                rule.service == "kit" or context.service in catalogue.declared_by.get(rule.code, ())
            ):
                continue
            if str(rule.status) in operation.get("responses", {}):
                by_status.setdefault(str(rule.status), []).append(rule.code)
        if not by_status:
            continue
        codes = {status: sorted(set(found)) for status, found in sorted(by_status.items())}
        operation["x-rule-codes"] = codes
        listing = "; ".join(
            f"{status} " + ", ".join(f"`{code}`" for code in found)
            for status, found in codes.items()
        )
        sentence = f"Regelkoder / rule codes: {listing}."
        description = operation.get("description")
        operation["description"] = f"{description}\n\n{sentence}" if description else sentence


def _add_problem_codes(document: dict[str, Any], context: OpenAPIContext) -> None:
    rules = service_rules(context.service)
    document["info"]["x-problem-codes"] = rules
    _describe_codes(document, rules)


def _describe_codes(document: dict[str, Any], rules: list[dict[str, Any]]) -> None:
    details = document.get("components", {}).get("schemas", {}).get("ProblemDetails")
    if details is not None:
        listing = "; ".join(f"`{r['code']}` ({r['status']}): {r['title']}" for r in rules)
        details["properties"]["code"]["description"] = (
            "Stable machine-readable code, the last part of `type`. Rule violations: "
            + listing
            + ". Other problems: validation-error, not-found, unauthorized, forbidden, "
            "version-conflict, conflict, payload-too-large, internal-error."
        )
        details["properties"]["type"].setdefault(
            "description", f"`{PROBLEM_BASE}<code>`: what the problem is."
        )


KIT_STEPS: tuple[Step, ...] = (
    _add_info,
    _operation_ids,
    _add_security,
    _add_tags,
    _add_problem_responses,
    _add_operation_rule_codes,
    _add_problem_codes,
)
"""The kit's own steps, in order (security before the 4xx responses it implies)."""


def build_document(app: FastAPI, service: str, extra_steps: Sequence[Step] = ()) -> dict[str, Any]:
    """``app``'s OpenAPI document through the whole pipeline (not cached)."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    context = OpenAPIContext(app=app, service=service, routes=_route_contexts(app))
    for step in (*KIT_STEPS, *POST_PROCESSORS, *extra_steps):
        step(document, context)
    return document


def install_openapi(app: FastAPI, service: str, extra_steps: Sequence[Step] = ()) -> None:
    """Serve ``app``'s document (``/openapi.json``, ``/docs``) through the pipeline."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app, service, extra_steps)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# --- the merged document -------------------------------------------------------------


def first_segment(path: str) -> str:
    """``/participants/{id}`` → ``participants``."""
    return path.lstrip("/").split("/", 1)[0]


def is_shared_path(path: str) -> bool:
    """Whether every service has ``path`` (health, problems, contract, access, feed)."""
    return first_segment(path) in SHARED_SEGMENTS or path in NOT_AT_GATEWAY


def path_owners(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Which service owns each business path's first segment: ``{"housing": "housing"}``.

    The gateway routes by this table. A first segment claimed by two services is an
    error (the gateway could not tell where to send it).
    """
    owners: dict[str, str] = {}
    for service, document in documents.items():
        for path in document.get("paths", {}):
            if is_shared_path(path):
                continue
            segment = first_segment(path)
            owner = owners.setdefault(segment, service)
            if owner != service:
                raise ValueError(f"/{segment} is owned by both {owner} and {service}")
    return dict(sorted(owners.items()))


_RENAMED_KINDS = ("schemas", "responses")
"""Component kinds whose same-named entries may differ between services."""


def _rename_refs(node: Any, renames: Mapping[tuple[str, str], str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
                _, _, kind, name = value.split("/", 3)
                if (kind, name) in renames:
                    value = f"#/components/{kind}/{renames[(kind, name)]}"
            out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _component_renames(
    documents: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[tuple[str, str], str]]:
    """Per service, the components to rename: those whose name another service uses for
    something different (every such service's one gets the service as prefix)."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for service, document in documents.items():
        for kind in _RENAMED_KINDS:
            for name, value in document.get("components", {}).get(kind, {}).items():
                seen.setdefault((kind, name), {})[service] = json.dumps(value, sort_keys=True)
    renames: dict[str, dict[tuple[str, str], str]] = {service: {} for service in documents}
    for (kind, name), versions in seen.items():
        if len(set(versions.values())) > 1:
            for service in versions:
                renames[service][(kind, name)] = service.capitalize() + name
    return renames


def _refs(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            _, _, kind, name = ref.split("/", 3)
            yield kind, name
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _prune_components(document: dict[str, Any]) -> None:
    """Drop the schemas and responses only the paths left out (``/events``) used."""
    components = document["components"]
    reached: set[tuple[str, str]] = set()
    todo = list(_refs(document["paths"]))
    while todo:
        kind, name = todo.pop()
        if (kind, name) in reached:
            continue
        reached.add((kind, name))
        todo.extend(_refs(components.get(kind, {}).get(name)))
    for kind in _RENAMED_KINDS:
        components[kind] = {
            name: value
            for name, value in components.get(kind, {}).items()
            if (kind, name) in reached
        }


def _prefixed(service: str, op_id: str) -> str:
    """``healthz`` of participants → ``participantsHealthz`` (kept when it has the prefix)."""
    if op_id.startswith(service) and op_id[len(service) : len(service) + 1].isupper():
        return op_id
    return service + op_id[0].upper() + op_id[1:]


def merge_documents(
    documents: Mapping[str, Mapping[str, Any]],
    *,
    title: str = "Veiviser",
    description: str = "",
    servers: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """One document for the whole API behind the gateway (see the module docstring).

    ``documents`` maps each service to its own document (from :func:`build_document`).
    Component schemas of the same name are shared when they are equal and get the
    service as a prefix (``ParticipantsSummary``) when they differ; operation ids of
    the shared paths get it too (``participantsHealthz``). ``servers`` come after the
    relative ``/`` (e.g. a local gateway's URL). Raises ``ValueError`` when
    two services own one first segment or an operation id comes out twice.
    """
    path_owners(documents)
    prepared: dict[str, dict[str, Any]] = {s: copy.deepcopy(dict(d)) for s, d in documents.items()}
    # One ProblemDetails for the whole API: its `code` lists every service's codes.
    every_rule: dict[str, dict[str, Any]] = {}
    for doc in prepared.values():
        for rule in doc["info"].get("x-problem-codes", []):
            every_rule.setdefault(rule["code"], rule)
    for doc in prepared.values():
        _describe_codes(doc, [every_rule[c] for c in sorted(every_rule)])
    # A rename changes the $refs inside other components, which may then differ in
    # turn: repeat until nothing clashes (a prefixed name never clashes again).
    for _round in range(10):
        renames = _component_renames(prepared)
        if not any(renames.values()):
            break
        for service, names in renames.items():
            if not names:
                continue
            doc = prepared[service]
            for kind in _RENAMED_KINDS:
                entries = doc.get("components", {}).get(kind, {})
                doc["components"][kind] = {names.get((kind, k), k): v for k, v in entries.items()}
            prepared[service] = _rename_refs(doc, names)
    else:  # pragma: no cover - every round prefixes at least one name for good
        raise ValueError("components do not settle after renaming")

    merged: dict[str, Any] = {
        "openapi": next(iter(prepared.values()))["openapi"],
        "info": {
            "title": title,
            "version": API_VERSION,
            "description": description,
            "license": dict(LICENSE),
            "contact": dict(CONTACT),
        },
        "servers": [
            {
                "url": "/",
                "description": "Gatewayen som serverer dokumentet. / The gateway serving this "
                "document.",
            },
            *(dict(server) for server in servers),
        ],
        "paths": {},
        "components": {"schemas": {}, "responses": {}, "securitySchemes": {}},
        "tags": [],
    }
    tags: dict[str, dict[str, Any]] = {}
    codes: dict[str, dict[str, Any]] = {}
    op_ids: dict[str, str] = {}
    for service, doc in prepared.items():
        for rule in doc["info"].get("x-problem-codes", []):
            codes.setdefault(rule["code"], rule)
        for kind in ("schemas", "responses", "securitySchemes"):
            merged["components"][kind].update(doc.get("components", {}).get(kind, {}))
        service_tag = f"{service} (drift / operations)"
        for tag in doc.get("tags", []):
            tags.setdefault(tag["name"], tag)
        for path, item in doc.get("paths", {}).items():
            if path in NOT_AT_GATEWAY:
                continue
            shared = is_shared_path(path)
            target = f"/_services/{service}{path}" if shared else path
            new_item = {}
            for method, operation in item.items():
                if method not in _METHODS:
                    new_item[method] = operation
                    continue
                operation = dict(operation)
                if shared:
                    operation["operationId"] = _prefixed(service, operation["operationId"])
                    operation["tags"] = [service_tag]
                op_id = operation["operationId"]
                if op_id in op_ids:
                    raise ValueError(
                        f"operationId {op_id} of {method.upper()} {target} is also "
                        f"{op_ids[op_id]}'s"
                    )
                op_ids[op_id] = f"{method.upper()} {target}"
                new_item[method] = operation
            merged["paths"][target] = new_item
        tags[service_tag] = {
            "name": service_tag,
            "description": f"Det alle tjenester har, for {doc['info']['title']}: helse, "
            f"regelkoder, hendelseskontrakt, innsyn. / What every service has, for "
            f"{doc['info']['title']}: health, rule codes, event contract, access.",
        }
    _prune_components(merged)
    used = {t for _p, _m, op in operations(merged) for t in op.get("tags", [])}
    merged["tags"] = sorted((t for n, t in tags.items() if n in used), key=lambda t: t["name"])
    merged["info"]["x-problem-codes"] = [codes[c] for c in sorted(codes)]
    merged["info"]["x-path-owners"] = path_owners(documents)
    return merged


def dumps(document: Mapping[str, Any]) -> str:
    """The stable text of a document as committed (sorted keys, two-space indent)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
