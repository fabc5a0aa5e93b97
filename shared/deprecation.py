"""Deprecated operations: ``Deprecation`` and ``Sunset`` headers, ``deprecated`` in OpenAPI.

A route is deprecated by one declaration::

    @router.get("/old", **deprecated(since=date(2026, 12, 1), sunset=date(2027, 6, 1),
                                     link="https://…/changelog#old"))

Every answer of that route then carries

* ``Deprecation: @<unix seconds>`` — since when (RFC 9745, a structured-field date);
* ``Sunset: <HTTP-date>`` — after which the operation may be gone (RFC 8594);
* ``Link: <…>; rel="deprecation"`` (and ``rel="sunset"``) when ``link`` is given,

and its OpenAPI operation says ``deprecated: true`` with ``x-sunset`` (the date) beside
it, so a generated client flags the method.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Any

from fastapi import Depends, Request

from shared.http import add_response_headers


@dataclass(frozen=True)
class Deprecated:
    """The dependency :func:`deprecated` declares: it adds the headers to the answer."""

    since: date
    sunset: date | None = None
    link: str | None = None

    def headers(self) -> dict[str, str]:
        midnight = datetime.combine(self.since, time(), UTC)
        out = {"Deprecation": f"@{calendar.timegm(midnight.timetuple())}"}
        links = []
        if self.link is not None:
            links.append(f'<{self.link}>; rel="deprecation"')
        if self.sunset is not None:
            end = datetime.combine(self.sunset, time(), UTC)
            out["Sunset"] = format_datetime(end, usegmt=True)
            if self.link is not None:
                links.append(f'<{self.link}>; rel="sunset"')
        if links:
            out["Link"] = ", ".join(links)
        return out

    async def __call__(self, request: Request) -> None:
        add_response_headers(request, self.headers())


def deprecated(
    since: date,
    sunset: date | None = None,
    link: str | None = None,
    *,
    dependencies: Sequence[Any] = (),
    openapi_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Keyword arguments of a route declaration marking it deprecated since ``since``.

    ``@router.get(path, **deprecated(since, sunset, link))``: the route's answers carry
    ``Deprecation``/``Sunset``/``Link`` and its OpenAPI operation ``deprecated: true`` and
    ``x-sunset``. The route's own ``dependencies`` and ``openapi_extra`` go in here.
    """
    if sunset is not None and sunset <= since:
        raise ValueError("a sunset comes after the deprecation")
    extra = dict(openapi_extra or {})
    if sunset is not None:
        extra["x-sunset"] = sunset.isoformat()
    return {
        "deprecated": True,
        "dependencies": [*dependencies, Depends(Deprecated(since, sunset, link))],
        "openapi_extra": extra or None,
    }
