"""Security defaults of the kit: development keys only in development."""

from __future__ import annotations

import asyncio

import pytest

from deploy.embedded import free_port
from shared.settings import InsecureSettings, Settings
from tests.kit.helpers import minimal_service
from tests.kit.minimal_service import create_app as kit_app

pytestmark = pytest.mark.timeout(90)

REAL_JWT_KEY = "k" * 40
REAL_LOOKUP_KEY = "l" * 40


def test_production_refuses_the_development_keys_and_says_what_to_configure(
    settings: Settings,
) -> None:
    production = settings.model_copy(update={"env": "production"})
    with pytest.raises(InsecureSettings) as refused:
        kit_app(production)
    message = str(refused.value)
    assert "Refusing to start housing" in message
    for variable in ("VEIVISER_JWKS_URL", "VEIVISER_JWT_SECRET", "VEIVISER_LOOKUP_KEY"):
        assert variable in message
    assert "VEIVISER_ENV=development" in message

    only_jwt = production.model_copy(update={"jwt_secret": REAL_JWT_KEY})
    with pytest.raises(InsecureSettings, match="VEIVISER_LOOKUP_KEY") as refused:
        kit_app(only_jwt)
    assert "JWT key" not in str(refused.value)

    only_lookup = production.model_copy(update={"lookup_key": REAL_LOOKUP_KEY})
    with pytest.raises(InsecureSettings, match="development JWT key"):
        kit_app(only_lookup)

    short = production.model_copy(update={"jwt_secret": "short", "lookup_key": REAL_LOOKUP_KEY})
    with pytest.raises(InsecureSettings, match="shorter than 32"):
        kit_app(short)


def test_production_starts_with_real_keys_or_a_jwks_url(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production", "lookup_key": REAL_LOOKUP_KEY})
    assert kit_app(production.model_copy(update={"jwt_secret": REAL_JWT_KEY}))
    # With a JWKS the HS256 key is never used, so its default does not matter.
    jwks = production.model_copy(update={"jwks_url": "https://idp.example.no/jwks.json"})
    with pytest.raises(InsecureSettings, match="VEIVISER_JWT_ISSUER"):
        kit_app(jwks)
    assert kit_app(jwks.model_copy(update={"jwt_issuer": "https://idp.example.no"}))
    assert kit_app(settings.model_copy(update={"env": "development"}))


def test_the_environment_defaults_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VEIVISER_ENV", raising=False)
    assert Settings().env == "production"
    monkeypatch.setenv("VEIVISER_ENV", "development")
    assert Settings().env == "development"


async def test_a_service_process_without_veiviser_env_refuses_to_start(settings: Settings) -> None:
    proc = await minimal_service(
        settings,
        "create_app",
        str(free_port()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode != 0
    text = out.decode()
    assert "Refusing to start housing (VEIVISER_ENV=production)" in text
    assert "VEIVISER_LOOKUP_KEY" in text
