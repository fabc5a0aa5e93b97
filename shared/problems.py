"""RFC 9457 problem details: the one error shape every endpoint answers with."""

from __future__ import annotations

from typing import Any

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

    def body(self, instance: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.slug,
        }
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
