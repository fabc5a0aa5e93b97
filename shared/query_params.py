"""Unknown query parameters are refused: ``?limt=5`` is a 422 naming ``limt``, not ignored.

:func:`refuse_unknown_query_parameters` is an app-level dependency (every route of
every service gets it from :func:`shared.service.build_app`). It compares the request's
query parameters with the ones the matched route declares — its own and its
dependencies' ``Query`` parameters (by alias), found once per route and cached — and
answers 422 ``unknown-query-parameter`` with one ``errors[]`` entry per unknown name
(``location`` ``query``) and the route's known names in ``known``.

A route that reads parameters by hand (``request.query_params``) declares them with
:func:`reads_query` among its (or its router's) dependencies; a route whose own code
refuses unknown parameters with a more specific code (matching's ``unknown-filter``)
marks that endpoint or dependency with :func:`refuses_unknown_query` and the kit leaves
it to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.problems import Problem
from shared.rules import rule

UNKNOWN_QUERY_PARAMETER = rule(
    "unknown-query-parameter",
    422,
    "Unknown query parameter",
    description="The request names a query parameter the operation does not take (a "
    "misspelt filter would otherwise be ignored silently); `errors` names each one and "
    "`known` lists those the operation takes.",
)

_OWN_CHECK = "__veiviser_refuses_unknown_query__"
F = TypeVar("F", bound=Callable[..., Any])


class UnknownQueryParameter(Problem):
    """422 naming the query parameters the route does not take."""

    status = 422
    slug = UNKNOWN_QUERY_PARAMETER.code
    title = UNKNOWN_QUERY_PARAMETER.title

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        plural = "s" if len(unknown) > 1 else ""
        super().__init__(
            f"Unknown query parameter{plural}: {', '.join(unknown)}. "
            f"This operation takes: {', '.join(known) or 'none'}.",
            errors=[
                {
                    "field": name,
                    "location": "query",
                    "message": "not a parameter of this operation",
                    "type": UNKNOWN_QUERY_PARAMETER.code,
                }
                for name in unknown
            ],
            unknown=unknown,
            known=known,
        )


class _Reads:
    """A dependency that does nothing but declare parameters read by hand."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def __call__(self) -> None:
        return None


def reads_query(*names: str) -> Any:
    """``Depends`` declaring query parameters a route reads from ``request.query_params``.

    Put it in a route's or router's ``dependencies=[...]``; it adds nothing to the
    OpenAPI document.
    """
    return Depends(_Reads(names))


def refuses_unknown_query(func: F) -> F:
    """Mark an endpoint or dependency that refuses unknown query parameters itself."""
    setattr(func, _OWN_CHECK, True)
    return func


_CACHED = "_veiviser_query_parameters"


def declared_query_parameters(route: APIRoute) -> frozenset[str] | None:
    """The query parameter names ``route`` takes; ``None`` if it checks them itself.

    Found once per route and kept on it (routes are not hashable).
    """
    if not hasattr(route, _CACHED):
        setattr(route, _CACHED, _collect(route.dependant))
    cached: frozenset[str] | None = getattr(route, _CACHED)
    return cached


def _collect(dependant: Dependant) -> frozenset[str] | None:
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is not None and getattr(current.call, _OWN_CHECK, False):
            return None
        if isinstance(current.call, _Reads):
            names |= current.call.names
        for field in current.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                # A query parameter model: its fields are the parameters.
                names |= {f.alias or name for name, f in annotation.model_fields.items()}
            else:
                names.add(field.alias)
        stack.extend(current.dependencies)
    return frozenset(names)


async def refuse_unknown_query_parameters(request: Request) -> None:
    """The app-level dependency: 422 ``unknown-query-parameter`` (see the module)."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = declared_query_parameters(route)
    if allowed is None:
        return
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise UnknownQueryParameter(unknown, sorted(allowed))
