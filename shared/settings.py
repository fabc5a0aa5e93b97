"""Settings for every Veiviser process, read from ``VEIVISER_*`` environment variables.

One settings object is built per process (in ``create_app`` or a CLI command) and
passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICES: tuple[str, ...] = ("participants", "housing", "matching", "indicators")
"""The four services, in start-up order."""

DEFAULT_PORTS: dict[str, int] = {
    "participants": 8001,
    "housing": 8002,
    "matching": 8003,
    "indicators": 8004,
}


DEVELOPMENT_JWT_SECRET = "veiviser-development-key-do-not-use-in-production"
DEVELOPMENT_LOOKUP_KEY = "veiviser-development-lookup-key"
DEVELOPMENT_ISSUER = "veiviser-dev"
MIN_SECRET_LENGTH = 32
"""Shortest HS256 key or lookup key a production service accepts (characters)."""

CORS_DEFAULT_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_DEFAULT_HEADERS: tuple[str, ...] = (
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Correlation-Id",
)
"""Request headers a browser app on an allowed origin may send (besides the safelisted)."""


def _names(value: Any) -> Any:
    """A list setting from the environment: a JSON list, or names separated by commas."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class InsecureSettings(RuntimeError):
    """A service was asked to run outside development with development secrets."""


class Settings(BaseSettings):
    """Everything a service process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="VEIVISER_", extra="ignore")

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:55432/postgres",
        description="URL of the PostgreSQL *server*; each service uses its own database on it.",
    )
    database_prefix: str = Field(
        default="veiviser",
        description="Service databases are named '<prefix>_<service>'.",
        pattern=r"^[a-z][a-z0-9_]{0,40}$",
    )
    nats_url: str = Field(
        default="nats://127.0.0.1:14222",
        description="NATS URL; several, comma-separated, for a cluster (any one that is up "
        "is used, and the client moves to another when it goes).",
    )
    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Replicas of every JetStream stream the services create (3 on a "
        "three-node cluster). An existing stream with fewer is raised to this; one with "
        "more keeps them.",
    )
    namespace: str = Field(
        default="veiviser",
        description="First token of every NATS subject and prefix of stream/consumer names.",
        pattern=r"^[a-z][a-z0-9_]{0,30}$",
    )
    data_dir: Path = Path(".veiviser")

    env: Literal["development", "production"] = Field(
        default="production",
        description="'development' allows the built-in development keys (make run and the "
        "tests set it); anything else refuses to start with them.",
    )
    jwt_secret: str = Field(
        default=DEVELOPMENT_JWT_SECRET,
        description="HS256 key for development tokens; ignored when jwks_url is set.",
    )
    jwks_url: str | None = Field(
        default=None,
        description="The identity provider's JWKS; tokens' iss and aud must then match "
        "jwt_issuer and jwt_audience.",
    )
    lookup_key: str = Field(
        default=DEVELOPMENT_LOOKUP_KEY,
        description="HMAC key for finding people by national id without storing it in clear.",
    )
    jwt_issuer: str = DEVELOPMENT_ISSUER
    jwt_audience: str = "veiviser"

    max_request_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request body a service reads (bytes); larger ones get 413.",
    )
    max_event_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest published event envelope (bytes). The effective limit is the "
        "smaller of this and the NATS server's max_payload, less room for headers; an "
        "event over it is refused (event-too-large) and never appended.",
    )

    relay_in_process: bool = Field(
        default=True,
        description="Run the outbox relay in the service's own process. Off: the service "
        "only appends, and `veiviser relay SERVICE` publishes from a process of its own, "
        "whose event loop commands then never delay.",
    )
    relay_batch_size: int = 500
    relay_idle_seconds: float = Field(
        default=1.0,
        description="How often an idle relay looks for rows anyway; commands in the same "
        "process wake it at once, and commits in others through the database "
        "(LISTEN/NOTIFY).",
    )
    relay_max_backoff_seconds: float = 5.0
    relay_park_after_attempts: int = Field(
        default=10,
        ge=1,
        description="A row that fails this many times in a row is parked (set aside with "
        "its error; later rows of its stream wait) until `veiviser outbox retry`. A row "
        "the server refuses for its size is parked at once.",
    )
    relay_park_after_seconds: float = Field(
        default=60.0,
        ge=0,
        description="…and only once it has been failing this long: a NATS cluster electing a "
        "stream leader refuses every publish for a few seconds, which says nothing about "
        "the row.",
    )
    consumer_batch_size: int = 256
    consumer_max_deliveries: int = 5
    consumer_fetch_timeout_seconds: float = 1.0

    consumer_gap_retries: int = Field(
        default=3,
        ge=1,
        description="Deliveries of an event whose predecessor has not arrived before the "
        "consumer fills the gap from the source's catch-up feed (each waits "
        "consumer_gap_delay_seconds times the delivery count).",
    )
    consumer_gap_delay_seconds: float = Field(
        default=0.5,
        gt=0,
        description="How long an event that arrived before its predecessor waits per try.",
    )
    consumer_reconcile_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often an idle consumer walks the source's catch-up feed for events "
        "JetStream never delivered (also at every subscribe).",
    )
    catchup_page_size: int = Field(
        default=500, ge=1, le=1000, description="Events per catch-up feed page a consumer asks for."
    )
    participants_url: str | None = Field(
        default=None, description="Base URL of the participants service (catch-up feed)."
    )
    housing_url: str | None = Field(
        default=None, description="Base URL of the housing service (catch-up feed)."
    )
    matching_url: str | None = Field(
        default=None, description="Base URL of the matching service (catch-up feed)."
    )
    indicators_url: str | None = Field(
        default=None, description="Base URL of the indicators service (catch-up feed)."
    )
    service_token: str | None = Field(
        default=None,
        description="This service's own token for other services' catch-up feeds (role "
        "service); needed with jwks_url, minted from jwt_secret otherwise.",
    )

    served_municipalities: str = Field(
        default="",
        pattern=r"^\s*(\d{4}\s*(,\s*\d{4}\s*)*)?$",
        description="Kommunenummer of every municipality this deployment serves (runs "
        "Veiviser for), comma-separated, e.g. '3301,0301'. A transfer (flytting) to one of "
        "them becomes a pending transfer it can accept; to any other it is recorded as "
        "outbound only. Empty: none (every transfer is outbound only).",
    )

    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) of the browser apps that may call the "
        "API, comma-separated or a JSON list, e.g. 'https://saksbehandling.kommune.no'. "
        "Empty (the default): none; '*' allows any origin (never with credentials).",
    )
    cors_allowed_methods: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(CORS_DEFAULT_METHODS),
        description="Methods an allowed origin may use (comma-separated or a JSON list).",
    )
    cors_allowed_headers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(CORS_DEFAULT_HEADERS),
        description="Request headers an allowed origin may send (comma-separated or a JSON list).",
    )
    cors_allow_credentials: bool = Field(
        default=False,
        description="Whether browsers may send cookies to the API cross-origin. The API "
        "takes bearer tokens, so this stays off unless a front-end needs cookies.",
    )
    cors_max_age_seconds: int = Field(
        default=600, ge=0, description="How long a browser may keep a preflight's answer."
    )

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator(
        "cors_allowed_origins", "cors_allowed_methods", "cors_allowed_headers", mode="before"
    )
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        return _names(value)

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        cleaned = [origin.rstrip("/") for origin in origins]
        for origin in cleaned:
            parts = urlsplit(origin)
            if origin != "*" and (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path
                or parts.query
            ):
                raise ValueError(
                    f"CORS origin {origin!r} is not scheme://host[:port] (no path), or '*'"
                )
        return cleaned

    def refuse_development_secrets(self, service: str) -> None:
        """Raise :class:`InsecureSettings` unless the keys fit the environment.

        Outside ``env=development`` a service must not run with the built-in
        development keys (anyone can mint tokens with the published JWT key, and the
        lookup key is what keeps national ids from being found by brute force), nor
        with keys too short to resist guessing.
        """
        if self.env == "development":
            return
        problems: list[str] = []
        if self.jwks_url is not None and self.jwt_issuer == DEVELOPMENT_ISSUER:
            problems.append(
                "VEIVISER_JWT_ISSUER is still the development issuer: set it (and "
                "VEIVISER_JWT_AUDIENCE) to what your identity provider puts in iss and aud"
            )
        if self.jwks_url is None:
            if self.jwt_secret == DEVELOPMENT_JWT_SECRET:
                problems.append(
                    "the built-in development JWT key is in use: set VEIVISER_JWKS_URL to your "
                    "identity provider's JWKS (with VEIVISER_JWT_ISSUER and "
                    "VEIVISER_JWT_AUDIENCE), or VEIVISER_JWT_SECRET to a random HS256 key"
                )
            elif len(self.jwt_secret) < MIN_SECRET_LENGTH:
                problems.append(
                    f"VEIVISER_JWT_SECRET is shorter than {MIN_SECRET_LENGTH} characters"
                )
        if self.lookup_key == DEVELOPMENT_LOOKUP_KEY:
            problems.append(
                "the built-in development lookup key is in use: set VEIVISER_LOOKUP_KEY to a "
                f"random secret of at least {MIN_SECRET_LENGTH} characters (keep it: national "
                "ids are found by it)"
            )
        elif len(self.lookup_key) < MIN_SECRET_LENGTH:
            problems.append(f"VEIVISER_LOOKUP_KEY is shorter than {MIN_SECRET_LENGTH} characters")
        if problems:
            raise InsecureSettings(
                f"Refusing to start {service} (VEIVISER_ENV={self.env}): "
                + "; ".join(problems)
                + ". On a developer machine set VEIVISER_ENV=development instead."
            )

    def database_name(self, service: str) -> str:
        """Name of the database that belongs to ``service``."""
        return f"{self.database_prefix}_{service}"

    def service_database_url(self, service: str, driver: str = "postgresql+asyncpg") -> str:
        """SQLAlchemy URL of ``service``'s own database (same server as ``database_url``)."""
        return _with_database(self.database_url, self.database_name(service), driver)

    def server_database_url(self, driver: str = "postgresql") -> str:
        """URL of the maintenance database ``postgres`` on the configured server."""
        return _with_database(self.database_url, "postgres", driver)

    def nats_servers(self) -> list[str]:
        """The NATS URLs in ``nats_url``, one per cluster node given."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def service_url(self, service: str) -> str:
        """Base URL of ``service`` (``VEIVISER_<SERVICE>_URL``, else its default local port)."""
        configured: str | None = getattr(self, f"{service}_url", None)
        if configured:
            return configured.rstrip("/")
        return f"http://127.0.0.1:{DEFAULT_PORTS[service]}"

    def stream_name(self, service: str) -> str:
        """JetStream stream holding ``service``'s published events."""
        return f"{self.namespace}_{service}".upper()

    def subject_prefix(self, service: str) -> str:
        """Subjects of ``service``'s events start with this (``veiviser.participants``)."""
        return f"{self.namespace}.{service}"


def _with_database(url: str, database: str, driver: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, ""))
