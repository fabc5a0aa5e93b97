"""Event models, the CloudEvents 1.0 envelope, the type registry and upcasters.

Every fact a service records is a frozen pydantic model with an explicit, versioned
type name such as ``participants.participant.settled.v1``. On the wire (JetStream,
JSON Schemas, other agencies) it travels as a CloudEvents 1.0 *structured* JSON
document whose ``type`` is ``no.veiviser.<type name>``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

CLOUDEVENTS_TYPE_PREFIX = "no.veiviser."
_TYPE_NAME = re.compile(
    r"^(?P<service>[a-z_]+)\.(?P<aggregate>[a-z_]+)\.(?P<event>[a-z_]+)\.v(?P<version>\d+)$"
)


class Event(BaseModel):
    """Base of every event payload: immutable, strict about unknown fields.

    Subclasses set ``type_name`` (``<service>.<aggregate>.<event>.v<N>``) and may set
    ``published = False`` for facts that stay inside the service.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type_name: ClassVar[str]
    published: ClassVar[bool] = True

    @classmethod
    def service(cls) -> str:
        return parse_type_name(cls.type_name)[0]

    @classmethod
    def subject_suffix(cls) -> str:
        """``<aggregate>.<event>``: the tail of the NATS subject (no version)."""
        _, aggregate, event, _ = parse_type_name(cls.type_name)
        return f"{aggregate}.{event}"


class Part(BaseModel):
    """Base of a value carried inside an event (an activity, a household count, a band):
    as immutable and as strict about unknown fields as the event itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")


MunicipalityCode = Annotated[str, Field(pattern=r"^\d{4}$")]
"""A municipality number (kommunenummer) in an event: four digits, e.g. ``3005``."""


def parse_type_name(type_name: str) -> tuple[str, str, str, int]:
    """Split ``participants.participant.settled.v1`` into its four parts."""
    match = _TYPE_NAME.match(type_name)
    if match is None:
        raise ValueError(f"not a Veiviser event type name: {type_name!r}")
    return match["service"], match["aggregate"], match["event"], int(match["version"])


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound=type[Event])


class EventRegistry:
    """Maps type names to event models, and old type versions to upcasters.

    ``decode`` always returns the *current* model: an event stored or published under
    an older type name is passed through its chain of upcasters first.
    """

    def __init__(self) -> None:
        self._models: dict[str, type[Event]] = {}
        self._upcasters: dict[str, tuple[str, Upcaster]] = {}

    def register(self, model: E) -> E:
        """Class decorator: make ``model`` decodable under its ``type_name``."""
        parse_type_name(model.type_name)
        existing = self._models.get(model.type_name)
        if existing is not None and existing is not model:
            raise ValueError(f"event type {model.type_name} registered twice")
        self._models[model.type_name] = model
        return model

    def upcaster(self, old_type: str, new_type: str) -> Callable[[Upcaster], Upcaster]:
        """Decorator: ``fn(old_data) -> new_data`` turns ``old_type`` into ``new_type``."""
        parse_type_name(old_type)

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[old_type] = (new_type, fn)
            return fn

        return decorate

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._models or type_name in self._upcasters

    def model(self, type_name: str) -> type[Event]:
        return self._models[type_name]

    def current_type(self, type_name: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Follow upcasters from ``type_name`` to a registered model's type."""
        seen: set[str] = set()
        while type_name not in self._models:
            if type_name in seen or type_name not in self._upcasters:
                raise UnknownEventType(type_name)
            seen.add(type_name)
            type_name, upcast = self._upcasters[type_name]
            data = upcast(dict(data))
        return type_name, data

    def decode(self, type_name: str, data: dict[str, Any]) -> Event:
        current, upcast_data = self.current_type(type_name, data)
        return self._models[current].model_validate(upcast_data)

    def models(self) -> list[type[Event]]:
        return list(self._models.values())


class UnknownEventType(LookupError):
    """Neither a model nor an upcaster is registered for this type name."""


@dataclass(frozen=True)
class Metadata:
    """Who and what caused an event: carried from the HTTP request into every event."""

    actor: str
    municipality: str
    correlation_id: str
    causation_id: str | None = None


@dataclass(frozen=True)
class Envelope:
    """A recorded event with everything CloudEvents and our extensions carry."""

    id: uuid.UUID
    type_name: str
    source: str
    stream_id: str
    stream_version: int
    municipality: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cloudevents_type(self) -> str:
        return CLOUDEVENTS_TYPE_PREFIX + self.type_name

    def to_cloudevent(self) -> dict[str, Any]:
        """Structured-mode CloudEvents 1.0 JSON object (extension names are lowercase)."""
        return {
            "specversion": "1.0",
            "id": str(self.id),
            "source": self.source,
            "type": self.cloudevents_type,
            "subject": self.stream_id,
            "time": _iso(self.occurred_at),
            "datacontenttype": "application/json",
            "data": self.data,
            "streamid": self.stream_id,
            "streamversion": self.stream_version,
            "municipality": self.municipality,
            "correlationid": self.correlation_id,
            "causationid": self.causation_id or str(self.id),
            "actor": self.actor,
            "recordedtime": _iso(self.recorded_at),
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_cloudevent(), separators=(",", ":")).encode()

    @classmethod
    def recorded_now(
        cls,
        type_name: str,
        data: dict[str, Any],
        *,
        service: str,
        stream_id: str,
        municipality: str,
        stream_version: int = 1,
        actor: str = "system",
    ) -> Self:
        """An envelope of an event recorded now under new ids, as ``service`` would
        publish it (for tools, tests and benchmarks speaking for a service)."""
        now = utcnow()
        return cls(
            id=uuid.uuid4(),
            type_name=type_name,
            source=f"/veiviser/{service}",
            stream_id=stream_id,
            stream_version=stream_version,
            municipality=municipality,
            occurred_at=now,
            recorded_at=now,
            actor=actor,
            correlation_id=str(uuid.uuid4()),
            causation_id=None,
            data=data,
        )

    @classmethod
    def from_cloudevent(
        cls, doc: dict[str, Any], *, event_id: uuid.UUID | None = None, fresh: bool = False
    ) -> Self:
        """The envelope of a CloudEvent document (structured mode).

        ``event_id``: the event's id where the caller holds it decoded already (an inbox
        row's uuid column), instead of parsing the document's. ``fresh``: the document
        was decoded for this envelope alone, so its ``data`` is taken as it is rather
        than copied (a rebuild decodes a million of them).
        """
        if doc.get("specversion") != "1.0":
            raise ValueError("only CloudEvents 1.0 is understood")
        ce_type = str(doc["type"])
        if not ce_type.startswith(CLOUDEVENTS_TYPE_PREFIX):
            raise ValueError(f"not a Veiviser event: {ce_type}")
        return cls.assemble(
            {
                "id": uuid.UUID(str(doc["id"])) if event_id is None else event_id,
                "type_name": ce_type.removeprefix(CLOUDEVENTS_TYPE_PREFIX),
                "source": str(doc["source"]),
                "stream_id": str(doc["streamid"]),
                "stream_version": int(doc["streamversion"]),
                "municipality": str(doc["municipality"]),
                "occurred_at": datetime.fromisoformat(str(doc["time"])),
                "recorded_at": datetime.fromisoformat(str(doc["recordedtime"])),
                "actor": str(doc["actor"]),
                "correlation_id": str(doc["correlationid"]),
                "causation_id": doc.get("causationid"),
                "data": doc["data"] if fresh else dict(doc["data"]),
            }
        )

    @classmethod
    def assemble(cls, fields: dict[str, Any]) -> Self:
        """An envelope of ``fields`` (every field but ``extra``), built without
        ``__init__``.

        For the hot paths (every event a consumer, a rebuild or an append handles): the
        frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``,
        which costs several times the work of filling the instance's dictionary at
        once. The fields must be the ones ``__init__`` takes, already of their types.
        """
        envelope = _new_object(cls)
        envelope.__dict__.update(fields)
        if "extra" not in fields:
            envelope.__dict__["extra"] = {}
        return envelope

    @classmethod
    def from_json(cls, raw: bytes) -> Self:
        return cls.from_cloudevent(json.loads(raw))


CLOUDEVENT_ATTRIBUTES = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "data",
    "streamid",
    "streamversion",
    "municipality",
    "correlationid",
    "causationid",
    "actor",
    "recordedtime",
)
"""Every attribute of an envelope's CloudEvent, in the order :meth:`Envelope.to_cloudevent`
writes them: what the published contract requires."""

ENVELOPE_ATTRIBUTES = tuple(name for name in CLOUDEVENT_ATTRIBUTES if name != "data")
"""The CloudEvent attributes of an envelope besides ``data`` (see :meth:`Envelope.to_cloudevent`)."""


_new_object = object.__new__


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def utcnow() -> datetime:
    return datetime.now(UTC)
