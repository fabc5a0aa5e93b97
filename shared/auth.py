"""Bearer JWT authentication and role checks.

Tokens carry ``sub``, ``roles`` and ``municipality`` (4-digit kommunenummer). In
development they are HS256-signed with a local key (``veiviser token``); a real
deployment sets ``VEIVISER_JWKS_URL`` to its identity provider's public keys.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from shared.events import utcnow
from shared.problems import Forbidden, Unauthorized
from shared.settings import Settings

ROLES = frozenset(
    {
        "caseworker",
        "manager",
        "privacy_officer",
        "analyst",
        "housing_officer",
        "job_coach",
        "agency",
    }
)
_MUNICIPALITY = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    roles: frozenset[str]
    municipality: str

    def has_any(self, roles: set[str] | frozenset[str]) -> bool:
        return bool(self.roles & roles)


def issue_dev_token(
    settings: Settings,
    *,
    sub: str,
    roles: list[str],
    municipality: str,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A development token signed with the local key; never valid with a JWKS set."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}; known: {sorted(ROLES)}")
    if not _MUNICIPALITY.match(municipality):
        raise ValueError("municipality must be a 4-digit kommunenummer")
    now = utcnow()
    claims = {
        "sub": sub,
        "roles": roles,
        "municipality": municipality,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


class TokenVerifier:
    """Checks signature, expiry, audience and the claims Veiviser needs."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    async def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                # PyJWKClient fetches keys over blocking HTTP; keep it off the loop.
                key: Any = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=["RS256", "ES256"],
                    audience=self._settings.jwt_audience,
                )
            else:
                claims = jwt.decode(
                    token,
                    self._settings.jwt_secret,
                    algorithms=["HS256"],
                    audience=self._settings.jwt_audience,
                    issuer=self._settings.jwt_issuer,
                )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The bearer token has expired.") from exc
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise Unauthorized("The bearer token is not valid.") from exc
        roles = claims.get("roles")
        municipality = claims.get("municipality")
        subject = claims.get("sub")
        if (
            not isinstance(subject, str)
            or not isinstance(roles, list)
            or not all(isinstance(r, str) for r in roles)
            or not isinstance(municipality, str)
            or not _MUNICIPALITY.match(municipality)
        ):
            raise Unauthorized("The bearer token lacks sub, roles or a 4-digit municipality.")
        return Principal(subject, frozenset(roles), municipality)


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token.strip())


def require_roles(
    *roles: str,
) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """Dependency factory: the caller must hold at least one of ``roles``."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has_any(allowed):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(allowed))}.")
        return principal

    return check
