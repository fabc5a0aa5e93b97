"""Bearer JWT authentication and role checks.

Tokens carry ``sub``, ``roles``, ``municipality`` (an existing four-digit
kommunenummer) and ``exp``. In development they are HS256-signed with a local key
(``veiviser token``); a real deployment sets ``VEIVISER_JWKS_URL`` to its identity
provider's public keys, and ``VEIVISER_JWT_ISSUER`` / ``VEIVISER_JWT_AUDIENCE`` to
what that provider puts in ``iss`` and ``aud``.

Reach beyond the token's own municipality (the ``agency`` role: a national agency
reading every municipality's indicators) needs the separate claim ``"agency": true``
*and* the role, and such a token carries no other role: a municipal token that
picked up the role by accident is refused rather than given national reach.

Services read each other's catch-up feeds (:mod:`shared.catchup`) as *service
identities*: the role ``service`` alone, the claim ``"service": "<caller>"`` naming the
calling service, and no municipality (a service acts for none, so
:meth:`Principal.reaches` is false for every municipality and every municipal
endpoint's role check refuses it). In development a service mints its own token with
the HS256 key (:func:`issue_service_token`); with a JWKS the identity provider issues
it and the deployment hands it over in ``VEIVISER_SERVICE_TOKEN``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from jwt.types import Options

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
        "volunteer_coordinator",
        "agency",
    }
)
SERVICE_ROLE = "service"
"""A Veiviser service calling another (not one of :data:`ROLES`: no person holds it)."""
SERVICE_CLAIM = "service"
"""Claim naming the calling service; required with, and only with, :data:`SERVICE_ROLE`."""
AGENCY_ROLE = "agency"
AGENCY_CLAIM = "agency"
"""Boolean claim that must be ``true`` for the :data:`AGENCY_ROLE` to count."""

_FOUR_ASCII_DIGITS = re.compile(r"[0-9]{4}")
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    roles: frozenset[str]
    municipality: str
    agency: bool = False
    """A national agency's token (``"agency": true`` with the agency role)."""
    service: str | None = None
    """The calling service, for a service identity (role ``service``); no municipality."""

    def has_any(self, roles: set[str] | frozenset[str]) -> bool:
        return bool(self.roles & roles)

    def reaches(self, municipality: str) -> bool:
        """Whether the caller may see ``municipality``'s data: its own, or any as an agency."""
        return municipality == self.municipality or self.agency


def municipality_problem(municipality: object) -> str | None:
    """Why ``municipality`` cannot be a token's municipality, or None if it can."""
    if not isinstance(municipality, str) or not _FOUR_ASCII_DIGITS.fullmatch(municipality):
        return "municipality must be four ASCII digits (a kommunenummer)"
    from shared.codes import municipality_valid

    if not municipality_valid(municipality):
        return f"municipality {municipality} is not a kommunenummer today"
    return None


def agency_problem(roles: list[str] | frozenset[str], agency: object) -> str | None:
    """Why roles and the agency claim do not fit together, or None if they do."""
    has_role = AGENCY_ROLE in roles
    if agency is True:
        if set(roles) != {AGENCY_ROLE}:
            return "an agency token carries the agency role and no other"
        return None
    if agency not in (None, False):
        return "the agency claim must be true or absent"
    if has_role:
        return "the agency role needs the separate claim agency=true"
    return None


def service_problem(claims: dict[str, Any]) -> str | None:
    """Why a token claiming a service identity is not one, or None if it is."""
    roles = claims.get("roles")
    name = claims.get(SERVICE_CLAIM)
    if roles != [SERVICE_ROLE]:
        return "a service token carries the service role and no other"
    if not isinstance(name, str) or not _SERVICE_NAME.fullmatch(name):
        return "the service claim must name the calling service"
    if "municipality" in claims or AGENCY_CLAIM in claims:
        return "a service token acts for no municipality and no agency"
    return None


def issue_service_token(
    settings: Settings, service: str, *, ttl: timedelta = timedelta(hours=1)
) -> str:
    """A development service identity for ``service``, signed with the local HS256 key.

    With a JWKS (``VEIVISER_JWKS_URL``) the identity provider issues service tokens;
    the key here would not be trusted, so this refuses.
    """
    if settings.jwks_url is not None:
        raise ValueError(
            "tokens come from the identity provider (VEIVISER_JWKS_URL is set): give the "
            "service its token in VEIVISER_SERVICE_TOKEN"
        )
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": f"service:{service}",
        "roles": [SERVICE_ROLE],
        SERVICE_CLAIM: service,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    problem = service_problem(claims)
    if problem:
        raise ValueError(problem)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def issue_dev_token(
    settings: Settings,
    *,
    sub: str,
    roles: list[str],
    municipality: str,
    ttl: timedelta = timedelta(hours=12),
    agency: bool = False,
) -> str:
    """A development token signed with the local key; never valid with a JWKS set.

    ``agency=True`` mints a national agency token (roles ``["agency"]`` only).
    """
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}; known: {sorted(ROLES)}")
    problem = municipality_problem(municipality) or agency_problem(roles, agency or None)
    if problem:
        raise ValueError(problem)
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": roles,
        "municipality": municipality,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if agency:
        claims[AGENCY_CLAIM] = True
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


class TokenVerifier:
    """Checks signature, expiry, audience and the claims Veiviser needs.

    A token that passed is remembered (by its exact text, at most ``cache_size`` of
    them, least recently used first out) until its ``exp``: a client sends the same
    token with every request, and checking its signature and claims again costs more
    than the rest of a typical command's Python work. Nothing about a token can change
    before it expires, and an expired one is checked (and refused) afresh.
    """

    def __init__(self, settings: Settings, *, cache_size: int = 4096) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._cache_size = cache_size
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            expires, principal = known
            if time.time() < expires:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires = await self._check(token)
        self._verified[token] = (expires, principal)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return principal

    async def _check(self, token: str) -> tuple[Principal, float]:
        # Every token must expire, and say who issued it for whom; both modes check
        # iss and aud against the configuration.
        options: Options = {"require": ["exp", "iss", "aud", "sub"]}
        try:
            if self._jwks is not None:
                # PyJWKClient fetches keys over blocking HTTP; keep it off the loop.
                key: Any = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=["RS256", "ES256"],
                    audience=self._settings.jwt_audience,
                    issuer=self._settings.jwt_issuer,
                    options=options,
                )
            else:
                claims = jwt.decode(
                    token,
                    self._settings.jwt_secret,
                    algorithms=["HS256"],
                    audience=self._settings.jwt_audience,
                    issuer=self._settings.jwt_issuer,
                    options=options,
                )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The bearer token has expired.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"The bearer token lacks the {exc.claim!r} claim.") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("The bearer token comes from an issuer we do not trust.") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("The bearer token is meant for another audience.") from exc
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise Unauthorized("The bearer token is not valid.") from exc
        roles = claims.get("roles")
        municipality = claims.get("municipality")
        subject = claims.get("sub")
        if (
            not isinstance(subject, str)
            or not isinstance(roles, list)
            or not all(isinstance(r, str) for r in roles)
        ):
            raise Unauthorized("The bearer token lacks sub or a list of roles.")
        if SERVICE_ROLE in roles or SERVICE_CLAIM in claims:
            problem = service_problem(claims)
            if problem:
                raise Unauthorized(f"The bearer token is not acceptable: {problem}.")
            service = str(claims[SERVICE_CLAIM])
            return Principal(subject, frozenset(roles), "", service=service), float(claims["exp"])
        problem = municipality_problem(municipality) or agency_problem(
            roles, claims.get(AGENCY_CLAIM)
        )
        if problem:
            raise Unauthorized(f"The bearer token is not acceptable: {problem}.")
        assert isinstance(municipality, str)
        principal = Principal(
            subject, frozenset(roles), municipality, agency=claims.get(AGENCY_CLAIM) is True
        )
        return principal, float(claims["exp"])


_BEARER_CALLS: set[Callable[..., Any]] = set()


def requires_bearer(call: object) -> bool:
    """Whether the dependency ``call`` asks for a bearer token (the OpenAPI's ``security``).

    Marked by the kit rather than declared with ``fastapi.security.HTTPBearer``: that
    would add a dependency level to every request, and keep its own 401/403 wording.
    """
    return call in _BEARER_CALLS


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(token.strip())


def require_roles(
    *roles: str,
) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """Dependency factory: the caller must hold at least one of ``roles``."""
    allowed = frozenset(roles)

    # One dependency, not one depending on another: FastAPI solves each level of a
    # dependency tree on every request, and this runs on every command.
    async def check(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.has_any(allowed):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(allowed))}.")
        return principal

    _BEARER_CALLS.add(check)
    return check


async def service_identity(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """Dependency: the caller must be a service identity (a person's token gets 403)."""
    if principal.service is None:
        raise Forbidden("Only a service identity (role service) may read this.")
    return principal


_BEARER_CALLS.update({current_principal, service_identity})
