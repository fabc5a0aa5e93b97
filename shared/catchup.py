"""The catch-up feed: a service's published events over HTTP, for consumers that lost some.

JetStream is the fast path between services, but not the record: a NATS store that is
lost or wiped, or a relay that marked rows published that JetStream then lost, leaves a
consumer without events it will never be sent again. The record is the source
service's event store, and every service serves its *published* events from it:

- ``GET /events?after=<cursor>&limit=<n>``: every published event in global order
  (the order :meth:`shared.eventstore.EventStore.read_all` reads, which never skips an
  event that commits late). ``next`` is the cursor to ask with next; it is opaque and
  stable, and an absent ``after`` starts at the beginning.
- ``GET /events?stream=<stream id>&after_version=<v>``: one stream's published events
  after version ``v``, in version order (what a consumer that sees a gap asks for).

Both answer the very CloudEvents the relay publishes, byte for byte: the outbox rows,
so the minimisation is the published events' own (pseudonymous ids, municipality,
dates and categories; stream ids are pseudonymous ids too, already the ``subject`` of
every published event). Only service identities may read the feed (role ``service``,
see :mod:`shared.auth`); any other token gets 403. A bad cursor is a 422 with the code
``bad-cursor`` naming ``after``, an out-of-range ``limit`` or ``after_version`` a 422
``validation-error``.

:class:`CatchUpClient` is the consumer's side: it reads a source service's feed at
``VEIVISER_<SERVICE>_URL`` with the consumer service's own service token.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from shared.auth import Principal, issue_service_token, service_identity
from shared.eventstore import EventStore, GlobalPosition
from shared.http import problem_responses
from shared.problems import Problem
from shared.settings import Settings

MAX_PAGE = 1000
"""Largest page the feed serves."""
DEFAULT_PAGE = 500
_MAX_VERSION = 2**31 - 1
_CURSOR = re.compile(r"v1:([0-9]{1,20}):([0-9]{1,19})")


class BadCursor(Problem):
    """The ``after`` cursor is not one the feed gave out (or is combined with ``stream``).

    A 422 naming the query parameter ``after``, like every other refused query value.
    """

    status, slug, title = 422, "bad-cursor", "Not a catch-up feed cursor"

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            errors=[
                {
                    "field": "after",
                    "location": "query",
                    "message": detail,
                    "type": "bad_cursor",
                }
            ],
        )


class CatchUpPage(BaseModel):
    """One page of a service's published events (the shape documented in OpenAPI)."""

    service: str = Field(description="The service whose events these are.")
    namespace: str = Field(
        description="The deployment's NATS namespace; a consumer checks it is its own."
    )
    events: list[dict[str, Any]] = Field(
        description="Published CloudEvents exactly as the relay publishes them, in order."
    )
    next: str | None = Field(
        default=None,
        description="Whole feed: the cursor to pass as `after` for the next page (the "
        "given one again when the page is empty). Null for a stream's page.",
    )
    next_version: int | None = Field(
        default=None,
        description="A stream's page: the version to pass as `after_version` next. Null "
        "for the whole feed.",
    )
    more: bool = Field(description="Whether more events were readable after this page.")


def encode_cursor(position: GlobalPosition) -> str:
    """The opaque cursor of a place in the global order."""
    raw = f"v1:{position.tx_id}:{position.position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> GlobalPosition:
    """The place a cursor stands for; :class:`BadCursor` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    match = _CURSOR.fullmatch(raw)
    if match is None or int(match[1]) >= 2**64 or int(match[2]) >= 2**63:
        raise BadCursor("The cursor `after` is not one this feed gave out; start without it.")
    return GlobalPosition(int(match[1]), int(match[2]))


def install_catchup_feed(app: FastAPI, service: str, namespace: str) -> None:
    """Mount ``GET /events`` (the catch-up feed of ``service``) on ``app``.

    Reads the store and database of ``app.state.runtime`` at request time.
    """
    router = APIRouter(tags=["events"])

    @router.get(
        "/events",
        summary="Publiserte hendelser, for andre tjenester som henter inn (bare "
        "tjenesteidentiteter) / Published events, for other services catching up (service "
        "identities only)",
        operation_id="read_catch_up_feed",
        response_model=None,
        responses={
            200: {"model": CatchUpPage, "description": "One page of published events"},
            **problem_responses(401, 403, 422),
        },
    )
    async def catch_up(
        request: Request,
        _: Annotated[Principal, Depends(service_identity)],
        after: Annotated[
            str | None,
            Query(
                max_length=200,
                description="Cursor from the previous page's `next`; absent: from the start.",
            ),
        ] = None,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE, description=f"Events per page, 1 … {MAX_PAGE}.")
        ] = DEFAULT_PAGE,
        stream: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                description="Only this stream's (aggregate's) events, in version order.",
            ),
        ] = None,
        after_version: Annotated[
            int,
            Query(ge=0, le=_MAX_VERSION, description="With `stream`: events after this version."),
        ] = 0,
    ) -> Response:
        runtime = request.app.state.runtime
        store: EventStore = runtime.store
        if stream is not None and after is not None:
            raise BadCursor(
                "A cursor pages the whole feed; a stream's page starts after `after_version`."
            )
        head: dict[str, Any] = {"service": service, "namespace": namespace}
        async with runtime.db.transaction() as conn:
            if stream is not None:
                found = await store.read_published_stream(conn, stream, after_version, limit + 1)
                page = found[:limit]
                head["next"] = None
                head["next_version"] = page[-1].stream_version if page else after_version
            else:
                start = decode_cursor(after) if after is not None else GlobalPosition()
                found = await store.read_published(conn, start, limit + 1)
                page = found[:limit]
                head["next"] = encode_cursor(page[-1].position) if page else after
                head["next_version"] = None
        head["more"] = len(found) > limit
        # The stored CloudEvents go out as they are: no decoding, no re-encoding.
        body = orjson.dumps(head)[:-1] + b',"events":[' + b",".join(e.payload for e in page) + b"]}"
        return Response(body, media_type="application/json")

    app.include_router(router)


class CatchUpUnavailable(Exception):
    """The source service's feed could not be read (down, refused, or not ours)."""


@dataclass(frozen=True)
class FeedPage:
    """A page as the client got it: CloudEvent documents and where to go on."""

    events: list[dict[str, Any]]
    next: str | None
    next_version: int | None
    more: bool


class CatchUpClient:
    """Reads one source service's catch-up feed as the calling service.

    The token is ``VEIVISER_SERVICE_TOKEN`` when set (deployments whose identity
    provider issues service tokens); otherwise, with the development HS256 key, the
    caller mints its own and renews it before it expires. ``transport`` is for
    in-process use (tests run a source app over ASGI).
    """

    def __init__(
        self,
        settings: Settings,
        caller: str,
        source: str,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self.caller = caller
        self.source = source
        self.base_url = base_url or settings.service_url(source)
        self._transport = transport
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None

    def _bearer(self) -> str:
        if self.settings.service_token:
            return self.settings.service_token
        if self._token is None or self._token[1] - time.time() < 300:
            self._token = (issue_service_token(self.settings, self.caller), time.time() + 3600)
        return self._token[0]

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url, transport=self._transport, timeout=self._timeout
            )
        return self._client

    async def page(self, after: str | None, limit: int) -> FeedPage:
        """The page of the whole feed after cursor ``after`` (None: from the start)."""
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        return await self._get(params)

    async def stream(self, stream_id: str, after_version: int, limit: int) -> FeedPage:
        """The page of ``stream_id``'s published events after ``after_version``."""
        return await self._get(
            {"stream": stream_id, "after_version": after_version, "limit": limit}
        )

    async def _get(self, params: dict[str, Any]) -> FeedPage:
        try:
            answer = await self._http().get(
                "/events", params=params, headers={"Authorization": f"Bearer {self._bearer()}"}
            )
        except (httpx.HTTPError, ValueError) as exc:
            raise CatchUpUnavailable(f"{self.source}: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise CatchUpUnavailable(f"{self.source} answered {answer.status_code}")
        try:
            document = orjson.loads(answer.content)
        except orjson.JSONDecodeError as exc:
            raise CatchUpUnavailable(f"{self.source} answered no JSON") from exc
        # A URL pointing at another deployment (another namespace) must not feed us its
        # events as if they were our source's.
        if (
            not isinstance(document, dict)
            or document.get("service") != self.source
            or document.get("namespace") != self.settings.namespace
        ):
            raise CatchUpUnavailable(f"{self.base_url} is not {self.source} of this deployment")
        events = document.get("events")
        if not isinstance(events, list):
            raise CatchUpUnavailable(f"{self.source} answered no events")
        return FeedPage(
            [event for event in events if isinstance(event, dict)],
            document.get("next"),
            document.get("next_version"),
            bool(document.get("more")),
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
