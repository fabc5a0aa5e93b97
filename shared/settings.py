"""Settings for every Veiviser process, read from ``VEIVISER_*`` environment variables.

One settings object is built per process (in ``create_app`` or a CLI command) and
passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("participants", "housing", "matching", "indicators")
"""The four services, in start-up order."""

DEFAULT_PORTS: dict[str, int] = {
    "participants": 8001,
    "housing": 8002,
    "matching": 8003,
    "indicators": 8004,
}


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
    nats_url: str = "nats://127.0.0.1:14222"
    namespace: str = Field(
        default="veiviser",
        description="First token of every NATS subject and prefix of stream/consumer names.",
        pattern=r"^[a-z][a-z0-9_]{0,30}$",
    )
    data_dir: Path = Path(".veiviser")

    jwt_secret: str = Field(
        default="veiviser-development-key-do-not-use-in-production",
        description="HS256 key for development tokens; ignored when jwks_url is set.",
    )
    jwks_url: str | None = None
    lookup_key: str = Field(
        default="veiviser-development-lookup-key",
        description="HMAC key for finding people by national id without storing it in clear.",
    )
    jwt_issuer: str = "veiviser-dev"
    jwt_audience: str = "veiviser"

    relay_batch_size: int = 500
    relay_idle_seconds: float = Field(
        default=1.0,
        description="How often an idle relay looks for rows committed by other processes; "
        "commands in the same process wake it at once.",
    )
    relay_max_backoff_seconds: float = 5.0
    consumer_batch_size: int = 256
    consumer_max_deliveries: int = 5
    consumer_fetch_timeout_seconds: float = 1.0

    log_level: str = "INFO"
    log_json: bool = True

    def database_name(self, service: str) -> str:
        """Name of the database that belongs to ``service``."""
        return f"{self.database_prefix}_{service}"

    def service_database_url(self, service: str, driver: str = "postgresql+asyncpg") -> str:
        """SQLAlchemy URL of ``service``'s own database (same server as ``database_url``)."""
        return _with_database(self.database_url, self.database_name(service), driver)

    def server_database_url(self, driver: str = "postgresql") -> str:
        """URL of the maintenance database ``postgres`` on the configured server."""
        return _with_database(self.database_url, "postgres", driver)

    def stream_name(self, service: str) -> str:
        """JetStream stream holding ``service``'s published events."""
        return f"{self.namespace}_{service}".upper()

    def subject_prefix(self, service: str) -> str:
        """Subjects of ``service``'s events start with this (``veiviser.participants``)."""
        return f"{self.namespace}.{service}"


def _with_database(url: str, database: str, driver: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, ""))
