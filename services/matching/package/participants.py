"""What the package reads from the participants service, as the matching service.

Name and contact are personal data sealed in the participants service; no event ever
brings them here. With the participant's consent for *this* employer in force, the
participants service answers ``GET /participants/{id}/employer-contact`` to the matching
service's identity (and writes the read to its audit log); without it, it refuses
(``no-employer-consent``) and the package keeps the pseudonymous reference. The
participant's plan (programme dates and the weekly hours of each activity, no goals or
providers) comes from ``GET /participants/{id}/placement-plan`` the same way.

Nothing read here is stored or logged: it goes into the one package being built.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.auth import issue_service_token
from shared.problems import Problem
from shared.settings import Settings

CALLER = "matching"


class ParticipantsUnavailable(Problem):
    """The participants service could not answer (down, or no service token)."""

    status, slug, title = 503, "participants-unavailable", "Participants service unavailable"


@dataclass(frozen=True)
class PersonContact:
    """Who the employer meets, shared with the participant's consent ``consent_id``."""

    consent_id: str
    given_on: str
    given_name: str | None
    family_name: str | None
    phone: str | None
    email: str | None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p)


class ParticipantsClient:
    """Calls the participants service at ``VEIVISER_PARTICIPANTS_URL`` with the matching
    service's token (``VEIVISER_SERVICE_TOKEN``, else minted with the development key, as
    :class:`shared.catchup.CatchUpClient` does); ``transport`` for an in-process app."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._timeout = timeout
        self._token: tuple[str, float] | None = None

    def _bearer(self) -> str:
        if self.settings.service_token:
            return self.settings.service_token
        if self._token is None or self._token[1] - time.time() < 300:
            self._token = (issue_service_token(self.settings, CALLER), time.time() + 3600)
        return self._token[0]

    async def _get(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        try:
            bearer = self._bearer()
        except ValueError as exc:
            raise ParticipantsUnavailable("No service token (VEIVISER_SERVICE_TOKEN).") from exc
        try:
            async with httpx.AsyncClient(
                base_url=self.settings.service_url("participants"),
                transport=self._transport,
                timeout=self._timeout,
            ) as client:
                return await client.get(
                    path,
                    params=dict(params),
                    headers={
                        "Authorization": f"Bearer {bearer}",
                        "X-Purpose": "employer_package",
                    },
                )
        except httpx.HTTPError as exc:
            raise ParticipantsUnavailable(
                f"The participants service is unreachable ({type(exc).__name__})."
            ) from exc

    async def contact(
        self, participant_id: uuid.UUID, employer_id: uuid.UUID, municipality: str
    ) -> PersonContact | None:
        """The name and contact, or ``None`` when no consent for the employer is in force
        (or the person is unknown there, e.g. erased)."""
        answer = await self._get(
            f"/participants/{participant_id}/employer-contact",
            {"employer_id": str(employer_id), "municipality": municipality},
        )
        if answer.status_code in (404, 409):
            return None
        if answer.status_code != 200:
            raise ParticipantsUnavailable(
                f"The participants service answered {answer.status_code} for the contact."
            )
        body = answer.json()
        if body.get("participant_id") != str(participant_id) or body.get("employer_id") != str(
            employer_id
        ):
            raise ParticipantsUnavailable("The participants service answered for someone else.")
        return PersonContact(
            consent_id=str(body["consent_id"]),
            given_on=str(body["given_on"]),
            given_name=body.get("given_name"),
            family_name=body.get("family_name"),
            phone=body.get("phone"),
            email=body.get("email"),
        )

    async def plan(self, participant_id: uuid.UUID, municipality: str) -> dict[str, Any] | None:
        """The programme's dates and the plan's activities; ``None`` when the participants
        service does not know them or cannot be reached (the package says so)."""
        try:
            answer = await self._get(
                f"/participants/{participant_id}/placement-plan", {"municipality": municipality}
            )
        except ParticipantsUnavailable:
            return None
        if answer.status_code != 200:
            return None
        body: dict[str, Any] = answer.json()
        return body
