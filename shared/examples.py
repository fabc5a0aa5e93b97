"""Request and response examples in a service's OpenAPI document.

A front-end developer copies the example of an operation into a request, so every
example has to be accepted by the operation's schema and read like real casework. Two
sources make an example:

- what a service declares in its ``api/examples.py`` (an :class:`Examples`): values for
  fields of its schema components (by component name), values by field name for the
  whole service, and whole examples for operations whose bodies have no component
  (CSV imports, untyped answers) or that refuse with a known rule;
- a generator from the JSON schema for everything not declared: required fields (all
  fields in answers), formats (date, date-time, uuid, email), enums, constants, bounds
  and the kit's values for fields every service shares (municipality numbers, ESCO and
  STYRK codes, synthetic national ids valid by checksum only).

:func:`attach_examples` writes them into a built document: the JSON request body's
``example``, the success response's ``example`` and an ``example`` per problem-details
response (a real rule violation where the service names one).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stdnum.no import fodselsnummer, orgnr

from shared.i18n import Catalog, catalog
from shared.openapi import POST_PROCESSORS, RESPONSE_NAMES, OpenAPIContext
from shared.problems import PROBLEM_BASE
from shared.rules import catalogue

COMMANDS = ("post", "put", "patch", "delete")
"""The HTTP methods of commands: each gets a success-response example."""
READS = ("get",)
"""Reads get a success-response example too (their answers are what a front-end shows)."""
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
HTML = "text/html"
_PAGE = (
    '<!doctype html><html lang="nb"><head><title>Veiviser</title></head>'
    "<body><main>…</main></body></html>"
)
"""The example of a server-rendered page (the dashboard's forms answer with one)."""
_NAMESPACE = uuid.UUID("6f1c1c36-1f55-4a43-9f37-9e8c8d1a5a11")
"""Ids in examples are derived from the field's name, so one participant keeps one id
across every example of a service (a front-end developer can follow them)."""


def example_id(name: str) -> str:
    """The example id of ``name`` (``participant_id``, ``dwelling``...): stable, readable in
    diffs of the committed documents, and never an id of a real aggregate."""
    return str(uuid.uuid5(_NAMESPACE, name.removesuffix("_id").removesuffix("_ids")))


def synthetic_national_id(born: date, individual: int = 123) -> str:
    """A D-number (day + 40) for ``born`` whose check digits are valid (python-stdnum):
    accepted by the services' validation, but made up, never copied from a person."""
    base = f"{born.day + 40:02d}{born.month:02d}{born.year % 100:02d}"
    for indiv in range(individual, individual + 100):
        digits = f"{base}{indiv:03d}"
        k1 = fodselsnummer.calc_check_digit1(digits)
        if len(k1) != 1:
            continue
        k2 = fodselsnummer.calc_check_digit2(digits + k1)
        if len(k2) == 1:
            return digits + k1 + k2
    raise ValueError(f"no D-number with check digits near individual number {individual}")


def synthetic_organisation_number(prefix: str = "91234567") -> str:
    """An organisasjonsnummer with a valid mod-11 check digit (python-stdnum)."""
    for last in "0123456789":
        if orgnr.is_valid(prefix + last):
            return prefix + last
    return synthetic_organisation_number(str(int(prefix) + 1))


BIRTH_DATE = date(1992, 5, 17)
NATIONAL_ID = synthetic_national_id(BIRTH_DATE)
ORGANISATION_NUMBER = synthetic_organisation_number()
COOK_STYRK = "5120"
"""STYRK-08 / ISCO-08 unit group 5120 «Kokker» (shared/taxonomy/styrk08.csv)."""
COOK_ESCO = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
"""ESCO occupation «cook» (shared/taxonomy/occupations.csv, ISCO 5120)."""
FOOD_SAFETY_ESCO = "http://data.europa.eu/esco/skill/0ff99f51-40d9-42f1-a1ec-377b2bb5e15f"
"""ESCO skill «følge regler for mattrygghet og hygiene» / «comply with food safety and
hygiene», essential for cooks (shared/taxonomy/skills_nb.csv)."""

EXAMPLE_DAY = "2024-09-02"
"""The default date of a fact: a Monday after the example participant settled."""
LATER_DAY = "2025-08-29"
"""The default date of an end, expiry or limit (after :data:`EXAMPLE_DAY`)."""
_LATER = re.compile(r"(^|_)(end|ends|ended|until|expires|to|due|planned)(_|$)")

COMMON_VALUES: Mapping[str, Any] = {
    "municipality_code": "3301",
    "municipality": "3301",
    "to_municipality": "3303",
    "from_municipality": "3301",
    "municipalities": ["3301", "3312"],
    "national_id": NATIONAL_ID,
    "birth_date": BIRTH_DATE.isoformat(),
    "given_name": "Selam",
    "family_name": "Tesfaye",
    "organisation_number": ORGANISATION_NUMBER,
    "email": "selam.tesfaye@example.com",
    "adviser": "Kari Nordmann",
    "to_adviser": "Ola Hansen",
    "isco_code": COOK_STYRK,
    "esco_occupation": COOK_ESCO,
    "skills": [FOOD_SAFETY_ESCO],
    "essential_skills": [FOOD_SAFETY_ESCO],
    "language": "ti",
    "languages": ["ti", "ar"],
    "country": "ER",
    "driving_licences": ["B"],
    "district": "Strømsø",
    "address": "Tollbugata 12",
    "settled_on": "2024-03-01",
    "lang": "nb",
    "year": 2024,
    "period": "2024",
    "correlation_id": "3f6c2a1e9b7d4c58a0e1f2d3c4b5a697",
}
"""Values of fields every service shares, by field name (a service's own win)."""


@dataclass(frozen=True)
class OperationExample:
    """Whole examples for one operation, where the schema cannot give one.

    ``request`` and ``response`` replace the generated examples (a CSV text for a CSV
    body); ``rules`` names, per status, the rule code whose refusal is the problem
    example of that status (e.g. ``{409: "already-settled"}``); ``path`` gives values of
    path parameters where the service-wide value does not fit.
    """

    request: Any = None
    response: Any = None
    rules: Mapping[int, str] = field(default_factory=dict)
    path: Mapping[str, Any] = field(default_factory=dict)
    """Values of this operation's path parameters (over the service's values by name)."""


@dataclass(frozen=True)
class Examples:
    """What a service declares for its examples (``services/<service>/api/examples.py``).

    ``schemas``: component name -> field values, over the generated example of that
    component (only the fields given; the others are generated). ``values``: field name ->
    value anywhere in the service's documents (over :data:`COMMON_VALUES`).
    ``operations``: ``"POST /participants"`` -> :class:`OperationExample`.
    """

    schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    operations: Mapping[str, OperationExample] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        if name in self.values:
            return copy.deepcopy(self.values[name])
        if name in COMMON_VALUES:
            return copy.deepcopy(COMMON_VALUES[name])
        return _MISSING


_MISSING: Any = object()


class ExampleBuilder:
    """Examples of one document's schemas, from a service's declarations and the schema."""

    def __init__(self, document: Mapping[str, Any], examples: Examples) -> None:
        self.components: Mapping[str, Any] = document.get("components", {}).get("schemas", {})
        self.examples = examples
        self._echo: dict[str, Any] = {}

    def request(self, schema: Mapping[str, Any]) -> Any:
        """A request body for ``schema``: required fields and the declared ones."""
        return self._build(schema, None, full=False, seen=())

    def response(self, schema: Mapping[str, Any], request: Any = None) -> Any:
        """An answer for ``schema``: every field, so the example shows the whole shape. The
        fields the answer shares with the ``request`` example (by name) echo its values: a
        dwelling registered with three rooms is answered with three rooms."""
        self._echo = _fields(request)
        try:
            return self._build(schema, None, full=True, seen=())
        finally:
            self._echo = {}

    def parameter(self, schema: Mapping[str, Any], name: str) -> Any:
        """A value of the path or query parameter ``name``."""
        value = self.examples.value(name)
        if value is not _MISSING and self._fits(value, schema):
            return value
        return self._build(schema, name, full=False, seen=())

    def url(self, method: str, path: str, operation: Mapping[str, Any]) -> str:
        """``path`` with its parameters filled by their examples (the operation's own
        declared values first): the URL an example request goes to."""
        declared = self.examples.operations.get(f"{method.upper()} {path}", OperationExample())
        schemas = {
            p["name"]: p.get("schema", {})
            for p in operation.get("parameters", ())
            if p.get("in") == "path"
        }

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in declared.path:
                return str(declared.path[name])
            return str(self.parameter(schemas.get(name, {}), name))

        return re.sub(r"\{([^}]+)\}", value, path)

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self.components.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        return schema

    def _fits(self, value: Any, schema: Mapping[str, Any]) -> bool:
        """Whether a value declared by field name has the JSON type ``schema`` wants (the
        same name can be a list of ESCO URIs in one schema and of objects in another)."""
        schema = self._resolve(schema)
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            return any(self._fits(value, option) for option in options)
        if "const" in schema:
            return bool(value == schema["const"])
        if "enum" in schema:
            return value in schema["enum"]
        kind = schema.get("type")
        if kind is None:
            return True
        kinds = kind if isinstance(kind, list) else [kind]
        if isinstance(value, bool):
            return "boolean" in kinds
        if isinstance(value, int) and ("integer" in kinds or "number" in kinds):
            return True
        if isinstance(value, float):
            return "number" in kinds
        if isinstance(value, str):
            return "string" in kinds and (
                "pattern" not in schema or re.search(schema["pattern"], value) is not None
            )
        if isinstance(value, list):
            items = schema.get("items", {})
            return "array" in kinds and all(self._fits(item, items) for item in value)
        if isinstance(value, dict):
            return "object" in kinds
        return value is None and "null" in kinds

    def _build(
        self, schema: Mapping[str, Any], name: str | None, *, full: bool, seen: tuple[str, ...]
    ) -> Any:
        if "$ref" in schema:
            component = str(schema["$ref"]).rsplit("/", 1)[-1]
            if component in seen:
                # A recursive schema (a goal's sub-goals): the example stops at one level.
                return [] if full else None
            target = self.components.get(component, {})
            built = self._build(target, name, full=full, seen=(*seen, component))
            declared = self.examples.schemas.get(component)
            if declared is not None and isinstance(built, dict):
                built.update(copy.deepcopy(dict(declared)))
            return built
        if "example" in schema:
            return copy.deepcopy(schema["example"])
        if schema.get("examples"):
            return copy.deepcopy(schema["examples"][0])
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if schema.get("enum"):
            return copy.deepcopy(schema["enum"][0])
        for combiner in ("anyOf", "oneOf"):
            if combiner in schema:
                options = [o for o in schema[combiner] if o.get("type") != "null"]
                return self._build(options[0] if options else {}, name, full=full, seen=seen)
        if "allOf" in schema:
            merged: Any = None
            for part in schema["allOf"]:
                built = self._build(part, name, full=full, seen=seen)
                both = isinstance(merged, dict) and isinstance(built, dict)
                merged = {**merged, **built} if both else built
            return merged
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in schema:
            return self._object(schema, full=full, seen=seen)
        if kind == "array":
            item = self._build(schema.get("items", {}), _singular(name), full=full, seen=seen)
            return [] if item is None else [item]
        if kind == "string":
            return _string(schema, name)
        if kind == "integer":
            return int(_number(schema, name, integer=True))
        if kind == "number":
            return _number(schema, name, integer=False)
        if kind == "boolean":
            return bool(schema.get("default", False))
        if kind == "null":
            return None
        return {}

    def _object(
        self, schema: Mapping[str, Any], *, full: bool, seen: tuple[str, ...]
    ) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        out: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            if not (full or prop in required):
                continue
            value = self._echo.get(prop, _MISSING)
            if value is _MISSING or not self._fits(value, sub):
                value = self.examples.value(prop)
            if value is _MISSING or not self._fits(value, sub):
                # An answer's empty optional facts are null, as a fresh record's are (its
                # nested objects are still shown, for their shape).
                value = (
                    None
                    if self._nullable_scalar(sub)
                    else self._build(sub, prop, full=full, seen=seen)
                )
            out[prop] = value
        return out

    def _nullable_scalar(self, schema: Mapping[str, Any]) -> bool:
        options = schema.get("anyOf") or schema.get("oneOf") or ()
        if not any(o.get("type") == "null" for o in options):
            return False
        others = [self._resolve(o) for o in options if o.get("type") != "null"]
        return all(
            o.get("type") not in ("object", "array") and "properties" not in o for o in others
        )


def _fields(example: Any) -> dict[str, Any]:
    """Every field of ``example`` by name (the first occurrence, nested ones too)."""
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.setdefault(key, copy.deepcopy(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(example)
    return found


def _singular(name: str | None) -> str | None:
    if name is None:
        return None
    if name.endswith("_ids"):
        return name[:-1]
    return name


def _string(schema: Mapping[str, Any], name: str | None) -> str:
    fmt = schema.get("format")
    prop = name or "value"
    if fmt == "date":
        if prop in ("birth_date", "born_on"):
            return BIRTH_DATE.isoformat()
        return LATER_DAY if _LATER.search(prop) else EXAMPLE_DAY
    if fmt == "date-time":
        return f"{EXAMPLE_DAY}T09:30:00Z"
    if fmt == "uuid":
        return example_id(prop)
    if fmt == "email":
        return "saksbehandler@example.com"
    if fmt in ("uri", "url"):
        return "https://veiviser.no/"
    if prop.endswith("_at"):
        return f"{EXAMPLE_DAY}T09:30:00Z"
    if prop.endswith("_on") or prop in ("date", "as_of", "from", "to"):
        return LATER_DAY if _LATER.search(prop) else EXAMPLE_DAY
    pattern = schema.get("pattern")
    if pattern is not None:
        for candidate in _pattern_candidates(pattern, prop):
            if re.search(pattern, candidate):
                return candidate
    text = prop.replace("_", " ")
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(text) < low:
        text = text.ljust(low, "x")
    if high is not None:
        text = text[: int(high)]
    return text


def _pattern_candidates(pattern: str, prop: str) -> list[str]:
    """Strings to try against a pattern no value was declared for: the first alternative
    of ``^(a|b)$``, the field's name as a key, numbers of the kit's usual shapes."""
    candidates = []
    alternation = re.fullmatch(r"\^\(([^()]+?)\)\$", pattern)
    if alternation:
        candidates.append(alternation.group(1).split("|")[0])
    candidates += [prop, prop.replace("_", "-"), "3301", "2024", "2024-09", "12345678901", "ab"]
    return candidates


def _number(schema: Mapping[str, Any], name: str | None, *, integer: bool) -> float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
    if name is not None and re.search(r"(^|_)year($|_)", name) and (low is None or low <= 2024):
        preferred: float = 2024 if (high is None or high >= 2024) else high
    elif "default" in schema and isinstance(schema["default"], int | float):
        preferred = schema["default"]
    else:
        preferred = 2
    if low is not None and preferred < low:
        preferred = low
    if high is not None and preferred > high:
        preferred = high
    return int(preferred) if integer else float(preferred)


def _success(responses: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    for status in sorted(responses):
        if status.startswith("2") and status != "204":
            return status, responses[status]
    return None


def problem_example(
    status: int,
    instance: str,
    rule_code: str | None = None,
    texts: Catalog | None = None,
    service: str | None = None,
) -> dict[str, Any]:
    """A problem-details answer of ``status`` for the request to ``instance``: the refusal
    of rule ``rule_code`` (title and description in bokmål from ``texts``, English beside
    it) or the kit's problem of that status."""
    if rule_code is not None:
        rule = catalogue.find(rule_code, service)
        if rule is not None and rule.status == status:
            return {
                "type": PROBLEM_BASE + rule.code,
                "title": rule.title_in("nb", texts),
                "status": rule.status,
                "detail": rule.description_in("nb", texts) or rule.title_in("nb", texts),
                "detail_en": rule.description or rule.title,
                "instance": instance,
                "code": rule.code,
                "errors": [],
                "facts": {},
            }
    generic = _GENERIC_PROBLEMS.get(status, _GENERIC_PROBLEMS[400])
    body = {"type": PROBLEM_BASE + generic["code"], "status": status, "instance": instance}
    body.update(copy.deepcopy(generic))
    return body


_GENERIC_PROBLEMS: dict[int, dict[str, Any]] = {
    400: {
        "code": "bad-request",
        "title": "Ugyldig forespørsel",
        "detail": "Forespørselen kunne ikke leses.",
        "detail_en": "The request could not be read.",
    },
    401: {
        "code": "unauthorized",
        "title": "Ikke innlogget",
        "detail": "Forespørselen mangler et gyldig tilgangstoken, eller tokenet er utløpt; "
        "logg inn på nytt.",
        "detail_en": "A valid bearer token is required.",
    },
    403: {
        "code": "forbidden",
        "title": "Ikke tillatt",
        "detail": "Rollene dine gir ikke lov til dette.",
        "detail_en": "The token's roles do not allow this.",
    },
    404: {
        "code": "not-found",
        "title": "Ikke funnet",
        "detail": "Finnes ikke (eller hører til en annen kommune).",
        "detail_en": "Not found",
    },
    409: {
        "code": "version-conflict",
        "title": "Noen andre endret dette først",
        "detail": "Posten er nå på versjon 4; last den inn på nytt og prøv igjen med "
        "forventet versjon 4.",
        "detail_en": "This record is now at version 4; reload it and retry with expected "
        "version 4.",
        "current_version": 4,
        "expected_version": 3,
    },
    413: {
        "code": "payload-too-large",
        "title": "Forespørselen er for stor",
        "detail": "Innholdet er større enn tjenesten tar imot.",
        "detail_en": "The request body is larger than the limit.",
    },
    422: {
        "code": "validation-error",
        "title": "Ugyldig inndata",
        "detail": "Ugyldig inndata i: settled_on.",
        "detail_en": "Invalid input in: settled_on.",
        "errors": [
            {
                "field": "settled_on",
                "location": "body",
                "message": "Ugyldig dato",
                "type": "date_from_datetime_parsing",
            }
        ],
    },
}


def attach_examples(
    document: dict[str, Any],
    examples: Examples,
    texts: Catalog | None = None,
    service: str | None = None,
) -> dict[str, Any]:
    """Write examples into ``document`` (a built OpenAPI document), in place; returns it.

    Every command's JSON request body and success response, every read's success response,
    and each problem-details response get an ``example``; declared whole examples of an
    operation (:attr:`Examples.operations`) win over generated ones. Examples already in
    the document (from a route's ``openapi_extra``) are kept.
    """
    builder = ExampleBuilder(document, examples)
    # status -> {problem code: the request it answers}: the shared 4xx responses' examples.
    refusals: dict[int, dict[str, str]] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in COMMANDS + READS or not isinstance(operation, dict):
                continue
            declared = examples.operations.get(f"{method.upper()} {path}", OperationExample())
            request = _request_example(operation, declared, builder)
            instance = builder.url(method, path, operation)
            _response_examples(operation, declared, builder, instance, texts, request, service)
            for status in operation.get("responses", {}):
                if status.startswith("4") and status.isdigit():
                    seen = refusals.setdefault(int(status), {})
                    seen.setdefault("", instance)
                    code = declared.rules.get(int(status))
                    if code is not None:
                        seen.setdefault(code, instance)
    _shared_problem_examples(document, refusals, texts, service)
    return document


def _shared_problem_examples(
    document: dict[str, Any],
    refusals: Mapping[int, Mapping[str, str]],
    texts: Catalog | None,
    service: str | None = None,
) -> None:
    """Named examples on the shared 4xx responses (``components.responses``) operations
    refer to: the kit's problem of the status, then each rule violation a service declared
    for one of its operations (the request it answers as ``instance``)."""
    by_name = {name: status for status, name in RESPONSE_NAMES.items()}
    for name, response in document.get("components", {}).get("responses", {}).items():
        status = by_name.get(name)
        if status is None:
            continue
        seen = refusals.get(status, {})
        named: dict[str, Any] = {}
        for code, instance in seen.items():
            value = problem_example(status, instance, code or None, texts, service)
            summary = str(value["title"])
            rule = catalogue.find(code, service) if code else None
            if rule is not None:
                summary = f"{rule.title_in('nb', texts)} / {rule.title}"
            named[str(value["code"])] = {"summary": summary, "value": value}
        if not named:
            value = problem_example(status, "/", None, texts)
            named[str(value["code"])] = {"summary": str(value["title"]), "value": value}
        for media, body in (response.get("content") or {}).items():
            if media in (PROBLEM_JSON, JSON) and "example" not in body and "examples" not in body:
                body["examples"] = copy.deepcopy(named)


def _request_example(
    operation: dict[str, Any], declared: OperationExample, builder: ExampleBuilder
) -> Any:
    """Write the request body's examples; the JSON one is returned (or None)."""
    content = operation.get("requestBody", {}).get("content", {})
    for media, body in content.items():
        if "example" in body or "examples" in body:
            continue
        if declared.request is not None:
            body["example"] = copy.deepcopy(declared.request)
        elif media == JSON:
            body["example"] = builder.request(body.get("schema", {}))
    return content.get(JSON, {}).get("example")


def _response_examples(
    operation: dict[str, Any],
    declared: OperationExample,
    builder: ExampleBuilder,
    instance: str,
    texts: Catalog | None,
    request: Any,
    service: str | None = None,
) -> None:
    responses = operation.get("responses", {})
    success = _success(responses)
    if success is not None:
        for media, body in (success[1].get("content") or {}).items():
            if "example" in body or "examples" in body:
                continue
            if declared.response is not None:
                body["example"] = copy.deepcopy(declared.response)
            elif media == JSON:
                body["example"] = builder.response(body.get("schema", {}), request)
            elif media == HTML:
                body["example"] = _PAGE
    for status, response in responses.items():
        if not status.startswith("4"):
            continue
        for media, body in (response.get("content") or {}).items():
            if media in (PROBLEM_JSON, JSON) and "example" not in body and "examples" not in body:
                body["example"] = problem_example(
                    int(status), instance, declared.rules.get(int(status)), texts, service
                )


def _examples_step(document: dict[str, Any], context: OpenAPIContext) -> None:
    """The OpenAPI pipeline's step: the examples the service declared (``app.state``)."""
    examples = getattr(context.app.state, "openapi_examples", None)
    packages = getattr(context.app.state, "locale_packages", ("shared",))
    attach_examples(document, examples or Examples(), catalog(*packages), context.service)


POST_PROCESSORS.append(_examples_step)
