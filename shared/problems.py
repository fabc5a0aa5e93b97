"""RFC 9457 problem details: the one error shape every endpoint answers with.

Problems are raised with an English ``detail`` (the sentence with the ids and values
involved) and rendered in the request's language (:mod:`shared.i18n`): the ``title``
from the key ``problem.<slug>.title``, the ``detail`` in bokmål or nynorsk from
``problem.<slug>.detail`` with ``{name}`` fields filled from the problem's extension
members (``{fields}`` is the list of fields ``errors`` names), and the English sentence
kept beside it in ``detail_en``. An English request gets the sentence itself as
``detail``. The ``code`` never changes with the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.i18n import ENGLISH, Catalog, fill, format_date, norwegian_chain

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://veiviser.no/problems/"


class Problem(Exception):
    """An error the client can act on; rendered as ``application/problem+json``."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def body(
        self, instance: str | None = None, locale: str = ENGLISH, texts: Catalog | None = None
    ) -> dict[str, Any]:
        """The problem document; in ``locale`` when ``texts`` holds its texts."""
        params = dict(self.extensions)
        errors = params.get("errors")
        if isinstance(errors, list):
            params["fields"] = field_list(errors)
        title, detail = translated(
            texts, f"problem.{self.slug}", locale, self.title, self.detail, params
        )
        doc: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": title,
            "status": self.status,
            "detail": detail,
            "code": self.slug,
        }
        if texts is not None:
            doc["detail_en"] = self.detail
        if instance:
            doc["instance"] = instance
        doc.update(self.extensions)
        return doc

    def headers(self) -> dict[str, str]:
        return {}


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Not authenticated"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="veiviser"'}


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    """A command that cannot happen in the current state (409)."""

    status, slug, title = 409, "conflict", "Conflict with the current state"


class VersionConflict(Conflict):
    slug, title = "version-conflict", "Someone else changed this first"


class InvalidInput(Problem):
    """Input that is well-formed but not acceptable; ``errors`` names the fields."""

    status, slug, title = 422, "validation-error", "Invalid input"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, errors=errors or [])


def field_error(field: str, message: str, type_: str = "value_error") -> dict[str, Any]:
    return {"field": field, "message": message, "type": type_}


def field_list(errors: list[dict[str, Any]]) -> str:
    """The fields a list of field errors names, sorted, comma-separated."""
    return ", ".join(sorted({str(e.get("field", "")) for e in errors if e.get("field")}))


def localised_params(params: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Template parameters as a reader of ``locale`` reads them (dates in their format)."""
    shown: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
            shown[name] = format_date(value, locale)
        elif isinstance(value, list | tuple):
            shown[name] = ", ".join(str(v) for v in value)
        else:
            shown[name] = value
    return shown


def translated(
    texts: Catalog | None,
    prefix: str,
    locale: str,
    title: str,
    detail: str,
    params: Mapping[str, Any],
) -> tuple[str, str]:
    """The title and detail of a problem (``<prefix>.title``, ``<prefix>.detail``) in ``locale``.

    The title falls back through the usual chain, then to the English ``title``; the
    detail is the Norwegian template filled from ``params``, or the English ``detail``
    for English readers and where no Norwegian text exists (a new rule without texts
    still says what happened).
    """
    if texts is None:
        return title, detail
    shown_title = texts.find(f"{prefix}.title", locale) or title
    if locale == ENGLISH:
        return shown_title, detail
    template = texts.find(f"{prefix}.detail", locale, norwegian_chain(locale))
    if template is None:
        return shown_title, detail
    return shown_title, fill(template, localised_params(params, locale))
