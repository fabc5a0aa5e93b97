"""Bearer tokens: expiry required, issuer and audience checked (also against a real
JWKS), an existing kommunenummer, and national reach only with the explicit agency claim."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from typer.testing import CliRunner

from deploy.cli import app as cli
from shared.auth import issue_dev_token
from shared.settings import Settings
from tests.kit.minimal_service import create_app as kit_app
from tests.support import running

pytestmark = pytest.mark.timeout(90)


def _claims(settings: Settings, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "kari",
        "roles": ["caseworker"],
        "municipality": "3301",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _hs256(settings: Settings, **changes: Any) -> str:
    return jwt.encode(_claims(settings, **changes), settings.jwt_secret, algorithm="HS256")


async def _whoami(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_needs_exp_the_configured_issuer_and_audience_and_a_real_municipality(
    settings: Settings,
) -> None:
    async with running(kit_app(settings)) as client:
        ok = await _whoami(client, _hs256(settings))
        assert ok.status_code == 200, ok.text
        assert ok.json() == {
            "sub": "kari",
            "roles": ["caseworker"],
            "municipality": "3301",
            "agency": False,
        }
        refused = {
            "no exp": _hs256(settings, exp=None),
            "expired": _hs256(settings, exp=int(time.time()) - 60),
            "no iss": _hs256(settings, iss=None),
            "other iss": _hs256(settings, iss="someone-else"),
            "no aud": _hs256(settings, aud=None),
            "other aud": _hs256(settings, aud="another-system"),
            "no sub": _hs256(settings, sub=None),
            # Drammen's number before the 2024 reform: it no longer exists.
            "merged away": _hs256(settings, municipality="3005"),
            "not a kommune": _hs256(settings, municipality="0000"),
            "unknown": _hs256(settings, municipality="9999"),
            "fullwidth digits": _hs256(settings, municipality="３３０１"),
            "trailing newline": _hs256(settings, municipality="3301\n"),
            "a number": _hs256(settings, municipality=3301),
            "no municipality": _hs256(settings, municipality=None),
            "other key": jwt.encode(_claims(settings), "x" * 40, algorithm="HS256"),
        }
        for case, token in refused.items():
            response = await _whoami(client, token)
            assert response.status_code == 401, (case, response.text)
            assert response.json()["code"] == "unauthorized"
        assert "'exp'" in (await _whoami(client, refused["no exp"])).json()["detail_en"]
        assert (
            "kommunenummer" in (await _whoami(client, refused["merged away"])).json()["detail_en"]
        )


async def test_national_reach_needs_the_explicit_agency_claim_and_no_municipal_roles(
    settings: Settings,
) -> None:
    async with running(kit_app(settings)) as client:
        refused = {
            "role without claim": _hs256(settings, roles=["agency"]),
            "combined municipal token": _hs256(settings, roles=["manager", "agency"]),
            "claim with municipal roles": _hs256(
                settings, roles=["agency", "caseworker"], agency=True
            ),
            "claim without role": _hs256(settings, roles=["manager"], agency=True),
            "claim as text": _hs256(settings, roles=["agency"], agency="true"),
        }
        for case, token in refused.items():
            response = await _whoami(client, token)
            assert response.status_code == 401, (case, response.text)
        agency = await _whoami(client, _hs256(settings, roles=["agency"], agency=True))
        assert agency.status_code == 200, agency.text
        assert agency.json()["agency"] is True

    with pytest.raises(ValueError, match="agency=true"):
        issue_dev_token(settings, sub="x", roles=["manager", "agency"], municipality="3301")
    with pytest.raises(ValueError, match="no other"):
        issue_dev_token(
            settings, sub="x", roles=["manager", "agency"], municipality="3301", agency=True
        )
    with pytest.raises(ValueError, match="kommunenummer"):
        issue_dev_token(settings, sub="x", roles=["manager"], municipality="3005")


def test_the_token_command_mints_agency_tokens_only_when_asked() -> None:
    runner = CliRunner()
    minted = runner.invoke(cli, ["token", "--agency", "--municipality", "0301", "--sub", "imdi"])
    assert minted.exit_code == 0, minted.output
    claims = jwt.decode(minted.output.strip(), options={"verify_signature": False})
    assert claims["agency"] is True and claims["roles"] == ["agency"]
    assert claims["municipality"] == "0301" and claims["exp"] > time.time()

    refused = runner.invoke(cli, ["token", "--role", "manager", "--role", "agency"])
    assert refused.exit_code != 0
    assert "agency=true" in refused.output

    municipal = runner.invoke(cli, ["token", "--role", "manager"])
    assert municipal.exit_code == 0, municipal.output
    assert "agency" not in jwt.decode(municipal.output.strip(), options={"verify_signature": False})

    # Outside development, only ever with the development key (useless to production).
    production = {"VEIVISER_ENV": "production", "VEIVISER_JWT_SECRET": "p" * 40}
    refused = runner.invoke(cli, ["token", "--role", "manager"], env=production)
    assert refused.exit_code != 0
    assert "development tokens only" in refused.output
    with_dev_key = runner.invoke(
        cli, ["token", "--role", "manager"], env={"VEIVISER_ENV": "production"}
    )
    assert with_dev_key.exit_code == 0, with_dev_key.output


class _Keys:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        self.document = json.dumps({"keys": [public | {"kid": "idp-1", "use": "sig"}]}).encode()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": "idp-1"})


@pytest.fixture
def jwks() -> Iterator[tuple[_Keys, str]]:
    """A real identity provider's key set, served over HTTP from this process."""
    keys = _Keys()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(keys.document)))
            self.end_headers()
            self.wfile.write(keys.document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield keys, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_in_jwks_mode_iss_and_aud_are_checked_against_the_configuration(
    settings: Settings, jwks: tuple[_Keys, str]
) -> None:
    keys, url = jwks
    local = settings.model_copy(
        update={
            "jwks_url": url,
            "jwt_issuer": "https://login.kommune.example.no",
            "jwt_audience": "veiviser-prod",
        }
    )
    async with running(kit_app(local)) as client:
        ok = await _whoami(client, keys.sign(_claims(local)))
        assert ok.status_code == 200, ok.text
        assert ok.json()["municipality"] == "3301"
        refused = {
            "other iss": keys.sign(_claims(local, iss="https://evil.example")),
            "no iss": keys.sign(_claims(local, iss=None)),
            "other aud": keys.sign(_claims(local, aud="some-other-app")),
            "no aud": keys.sign(_claims(local, aud=None)),
            "no exp": keys.sign(_claims(local, exp=None)),
            "bad municipality": keys.sign(_claims(local, municipality="0000")),
            "development key": _hs256(local),
        }
        for case, token in refused.items():
            response = await _whoami(client, token)
            assert response.status_code == 401, (case, response.text)
        issuer = (await _whoami(client, refused["other iss"])).json()["detail_en"]
        assert "issuer" in issuer
        audience = (await _whoami(client, refused["other aud"])).json()["detail_en"]
        assert "audience" in audience
