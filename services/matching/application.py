"""Use cases of the matching service: load, decide, append in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching import domain
from services.matching.domain.candidates import departure
from services.matching.domain.employers import Placement as EmployerPlacement
from services.matching.domain.employers import agreement_status
from services.matching.domain.employers import record_agreement as record_employer_agreement
from services.matching.events import (
    CloseReason,
    Contact,
    NorwegianRequirement,
    OpeningKind,
    OpeningTerms,
    PlacementOutcome,
    Qualification,
)
from services.matching.index import MatchingEngine
from services.matching.queries import participant_erased
from services.matching.tables import (
    candidates,
    contact_keys,
    employers,
    matches,
)
from shared import sealing
from shared import tables as kit_tables
from shared.codes import DRIVING_LICENCE_CLASSES
from shared.commands import CommandResult
from shared.dates import today
from shared.events import Event, Metadata
from shared.problems import InvalidInput, NotFound, field_error
from shared.rules import MISSING_FIELD, RuleViolation, rule
from shared.service import Runtime
from shared.taxonomy import Taxonomy

State = TypeVar("State")


NOT_INDEXED = rule(
    "not-indexed-yet",
    409,
    "Opening not in the matching index yet",
    service="matching",
    description="The opening was published a moment ago and the index has not read it; retry.",
)


def _decide(decide: Callable[[], list[Event]], version: int) -> list[Event]:
    """The domain's events; a refusal carries the aggregate's current version."""
    try:
        return decide()
    except RuleViolation as exc:
        raise exc.at_version(version) from None


async def _load(
    runtime: Runtime,
    conn: AsyncConnection,
    stream_type: str,
    entity_id: uuid.UUID,
    municipality: str,
    fold: Callable[[Iterable[Event]], State],
    *,
    lock: bool = False,
) -> tuple[State, int]:
    """State and version of one aggregate; another municipality's is 404.

    With ``lock`` the stream's row is locked first: commands that compete for an
    opening's places queue behind each other and each sees the places the one before
    it took, instead of failing on a stale version.
    """
    sid = domain.stream_id(stream_type, entity_id)
    if lock:
        await conn.execute(
            sa.select(kit_tables.streams.c.version)
            .where(kit_tables.streams.c.stream_id == sid)
            .with_for_update()
        )
    owner = await runtime.store.stream_municipality(conn, sid)
    if owner != municipality:
        raise NotFound(f"No {stream_type} {entity_id} in municipality {municipality}.")
    envelopes = await runtime.store.load(conn, sid)
    state = fold(runtime.store.decode(e) for e in envelopes)
    return state, envelopes[-1].stream_version if envelopes else 0


async def _append(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    stream_type: str,
    entity_id: uuid.UUID,
    events: list[Event],
    version: int,
    refused: RuleViolation | None = None,
) -> int:
    """Append ``events`` at ``version``; where a unique constraint of the stream's inline
    read model refuses them (an organisation number taken, a live match of the pair), the
    answer is ``refused`` when given."""
    if not events:
        return version
    try:
        envelopes = await runtime.append(
            conn,
            domain.stream_id(stream_type, entity_id),
            stream_type,
            events,
            expected_version=version,
            metadata=metadata,
        )
    except (IntegrityError, asyncpg.UniqueViolationError) as exc:
        if refused is None:
            raise
        # The read models' batch writes go to asyncpg directly, so its error arrives
        # unwrapped.
        raise refused from exc
    return envelopes[-1].stream_version


async def _locked_step(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    stream_type: str,
    entity_id: uuid.UUID,
    fold: Callable[[Iterable[Event]], State],
    decide: Callable[[State], list[Event]],
    expected_version: int | None,
) -> tuple[list[Event], int]:
    """Load one aggregate with its stream row locked, decide, append: the events and the
    stream's version after them (``expected_version`` from ``If-Match``, if given)."""
    state, version = await _load(
        runtime, conn, stream_type, entity_id, metadata.municipality, fold, lock=True
    )
    events = _decide(lambda: decide(state), version)
    new_version = await _append(
        runtime,
        conn,
        metadata,
        stream_type,
        entity_id,
        events,
        version if expected_version is None else expected_version,
    )
    return events, new_version


async def _employer_step(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    employer_id: uuid.UUID,
    decide: Callable[[domain.Employer], list[Event]],
) -> tuple[list[Event], int]:
    return await _locked_step(
        runtime, conn, metadata, domain.EMPLOYER, employer_id, domain.fold_employer, decide, None
    )


async def _opening_step(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    opening_id: uuid.UUID,
    decide: Callable[[domain.Opening], list[Event]],
    expected_version: int | None,
) -> tuple[list[Event], int]:
    return await _locked_step(
        runtime,
        conn,
        metadata,
        domain.OPENING,
        opening_id,
        domain.fold_opening,
        decide,
        expected_version,
    )


# --- employers -------------------------------------------------------------------------


async def register_employer(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    organisation_number: str,
    contact: Contact | None,
    **details: Any,
) -> CommandResult:
    """Register an employer, its contact person sealed; ``details`` are the other keywords
    of :func:`services.matching.domain.employers.register_employer`."""
    employer_id = uuid.uuid4()
    sealed = await _seal_contact(conn, employer_id, contact) if contact is not None else None
    events = domain.register_employer(
        employer_id, organisation_number=organisation_number, contact=sealed, **details
    )
    version = await _append(
        runtime,
        conn,
        metadata,
        domain.EMPLOYER,
        employer_id,
        events,
        0,
        domain.ORGANISATION_NUMBER_TAKEN.violation(
            f"An employer with organisation number {organisation_number} is already registered.",
            "organisation_number",
        ),
    )
    return CommandResult(201, {"id": str(employer_id), "version": version})


async def _seal_contact(
    conn: AsyncConnection, employer_id: uuid.UUID, contact: Contact
) -> domain.SealedContact:
    """Seal the contact person with a key of their own, kept outside the event store."""
    contact_id = uuid.uuid4()
    key = sealing.new_key()
    await conn.execute(
        sa.insert(contact_keys).values(contact_id=contact_id, employer_id=employer_id, key=key)
    )
    return domain.SealedContact(
        contact_id, sealing.seal(key, contact_id, contact.model_dump(mode="json"))
    )


async def erase_contact(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, employer_id: uuid.UUID
) -> CommandResult:
    """Forget the employer's contact person: their key goes, the sealed copies are noise."""
    events, new_version = await _employer_step(
        runtime, conn, metadata, employer_id, domain.erase_contact
    )
    await conn.execute(sa.delete(contact_keys).where(contact_keys.c.employer_id == employer_id))
    return CommandResult(
        200, {"id": str(employer_id), "version": new_version, "erased": bool(events)}
    )


async def record_agreement(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    employer_id: uuid.UUID,
    **terms: Any,
) -> CommandResult:
    """Record an agreement with its target on the employer's stream; ``terms`` are the
    keywords of :func:`services.matching.domain.employers.record_agreement` but its id."""
    agreement_id = uuid.uuid4()
    _, new_version = await _employer_step(
        runtime,
        conn,
        metadata,
        employer_id,
        lambda state: record_employer_agreement(state, agreement_id=agreement_id, **terms),
    )
    return CommandResult(
        201, {"id": str(agreement_id), "employer_id": str(employer_id), "version": new_version}
    )


async def employer_agreements(
    runtime: Runtime, conn: AsyncConnection, employer_id: uuid.UUID, municipality: str
) -> list[dict[str, Any]]:
    """The employer's agreements, each followed up today from the matches with it."""
    state, _ = await _load(
        runtime, conn, domain.EMPLOYER, employer_id, municipality, domain.fold_employer
    )
    rows = await conn.execute(
        sa.select(
            matches.c.kind,
            matches.c.started_on,
            matches.c.ended_on,
            matches.c.outcome,
            matches.c.job,
            matches.c.status,
        ).where(matches.c.employer_id == employer_id, matches.c.municipality == municipality)
    )
    placements = [_placement(row) for row in rows]
    day = today()
    return [agreement_status(a, placements, day) for a in state.agreements]


def _placement(row: Any) -> EmployerPlacement:
    job = row.job or {}
    job_started = job.get("starts_on") if isinstance(job, dict) else None
    if job_started is None and row.kind in ("job", "apprenticeship"):
        job_started = row.started_on
    return EmployerPlacement(
        kind=row.kind,
        started_on=row.started_on,
        ended_on=row.ended_on,
        outcome=row.outcome,
        job_started_on=date.fromisoformat(job_started)
        if isinstance(job_started, str)
        else job_started,
    )


# --- openings --------------------------------------------------------------------------


def validate_terms(taxonomy: Taxonomy, raw: dict[str, Any]) -> OpeningTerms:
    """Check codes and URIs against the taxonomy; every unknown one is named in the 422."""
    errors = []
    esco = raw.get("esco_occupation")
    isco = raw.get("isco_code")
    occupation = taxonomy.occupations.get(esco) if esco else None
    if esco and occupation is None:
        errors.append(
            field_error("esco_occupation", f"unknown ESCO occupation {esco}", "unknown_occupation")
        )
    if isco is None and not esco:
        raise MISSING_FIELD.violation(
            "Give the opening's occupation: an ISCO-08/STYRK-08 code (isco_code) or an ESCO "
            "occupation (esco_occupation).",
            "isco_code",
            "esco_occupation",
        )
    if isco is None:
        if occupation is not None:
            isco = occupation.isco_code
    elif not taxonomy.is_occupation_code(isco):
        errors.append(
            field_error(
                "isco_code", f"unknown ISCO-08/STYRK-08 unit group {isco}", "unknown_occupation"
            )
        )
    elif occupation is not None and occupation.isco_code != isco:
        errors.append(
            field_error(
                "esco_occupation",
                f"the ESCO occupation belongs to unit group {occupation.isco_code}, not {isco}",
                "inconsistent_occupation",
            )
        )
    essential = list(raw.get("essential_skills") or [])
    optional = list(raw.get("optional_skills") or [])
    if occupation is not None and raw.get("essential_skills") is None:
        essential = list(occupation.essential_skills)
        if raw.get("optional_skills") is None:
            optional = list(occupation.optional_skills)
    for name, uris in (("essential_skills", essential), ("optional_skills", optional)):
        for i, uri in enumerate(uris):
            if taxonomy.skill_label(uri) is None:
                errors.append(
                    field_error(f"{name}.{i}", f"unknown ESCO skill {uri}", "unknown_skill")
                )
    optional = [uri for uri in optional if uri not in set(essential)]
    licences = [c.strip().upper() for c in raw.get("driving_licences") or []]
    for i, licence in enumerate(licences):
        if licence not in DRIVING_LICENCE_CLASSES:
            errors.append(
                field_error(
                    f"driving_licences.{i}",
                    f"unknown driving licence class {licence}",
                    "unknown_licence",
                )
            )
    if errors:
        unknown = ", ".join(e["message"] for e in errors)
        raise InvalidInput(f"The opening names unknown or inconsistent codes: {unknown}.", errors)
    return OpeningTerms(
        isco_code=str(isco),
        esco_occupation=esco,
        essential_skills=tuple(dict.fromkeys(essential)),
        optional_skills=tuple(dict.fromkeys(optional)),
        norwegian=NorwegianRequirement.model_validate(raw.get("norwegian") or {}),
        driving_licences=tuple(dict.fromkeys(licences)),
        qualifications=tuple(
            Qualification.model_validate(q) for q in raw.get("qualifications") or []
        ),
        places=raw["places"],
        hours_per_week=raw["hours_per_week"],
        starts_on=raw["starts_on"],
        municipality_code=raw["municipality_code"],
        commute_possible=raw.get("commute_possible", True),
    )


async def publish_opening(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    employer_id: uuid.UUID,
    kind: OpeningKind,
    terms: OpeningTerms,
    title: str,
    description: str,
    other_skills: list[str],
) -> CommandResult:
    owner = await runtime.store.stream_municipality(
        conn, domain.stream_id(domain.EMPLOYER, employer_id)
    )
    if owner != metadata.municipality:
        raise InvalidInput(
            "The employer is not registered in your municipality.",
            [field_error("employer_id", f"no employer {employer_id}", "unknown_employer")],
        )
    opening_id = uuid.uuid4()
    events = domain.publish_opening(
        opening_id,
        employer_id,
        kind,
        terms,
        title=title,
        description=description,
        other_skills=other_skills,
    )
    version = await _append(runtime, conn, metadata, domain.OPENING, opening_id, events, 0)
    return CommandResult(201, {"id": str(opening_id), "version": version})


async def change_opening(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    opening_id: uuid.UUID,
    *,
    terms: OpeningTerms,
    details: tuple[str, str, tuple[str, ...]] | None,
    expected_version: int | None,
) -> CommandResult:
    events, new_version = await _opening_step(
        runtime,
        conn,
        metadata,
        opening_id,
        lambda state: domain.change_opening(state, terms, details),
        expected_version,
    )
    return CommandResult(
        200, {"id": str(opening_id), "version": new_version, "changed": bool(events)}
    )


async def close_opening(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    opening_id: uuid.UUID,
    *,
    closed_on: date,
    reason: CloseReason,
    expected_version: int | None,
) -> CommandResult:
    _, new_version = await _opening_step(
        runtime,
        conn,
        metadata,
        opening_id,
        lambda state: domain.close_opening(state, closed_on, reason, today=today()),
        expected_version,
    )
    return CommandResult(200, {"id": str(opening_id), "status": "closed", "version": new_version})


# --- matches ---------------------------------------------------------------------------


async def _mentor_load(conn: AsyncConnection, employer_id: uuid.UUID) -> domain.MentorLoad:
    """The employer's capacity and the placements holding a mentor, with the employer locked.

    The employer's stream row is locked first, so two placements starting at once in
    different openings of one employer queue behind each other and the second sees the
    mentor the first took.
    """
    await conn.execute(
        sa.select(kit_tables.streams.c.version)
        .where(kit_tables.streams.c.stream_id == domain.stream_id(domain.EMPLOYER, employer_id))
        .with_for_update()
    )
    capacity = await conn.scalar(
        sa.select(employers.c.mentor_capacity).where(employers.c.employer_id == employer_id)
    )
    taken = await conn.scalar(
        sa.select(sa.func.count())
        .select_from(matches)
        .where(
            matches.c.employer_id == employer_id,
            matches.c.status == domain.MatchStatus.in_placement.value,
        )
    )
    return domain.MentorLoad(employer_id, int(capacity or 0), int(taken or 0))


async def _participant(conn: AsyncConnection, participant_id: uuid.UUID) -> domain.Participant:
    if await participant_erased(conn, participant_id):
        return domain.Participant(erased=True)
    row = (
        await conn.execute(
            sa.select(
                candidates.c.settled_on,
                candidates.c.left_on,
                candidates.c.left_because,
                candidates.c.programmes,
            ).where(candidates.c.participant_id == participant_id)
        )
    ).one_or_none()
    if row is None:
        return domain.Participant()
    left = departure(row.left_on, row.left_because, row.programmes)
    return domain.Participant(
        settled_on=row.settled_on,
        left_on=left[0] if left else None,
        left_because=left[1] if left else None,
    )


async def propose_match(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    engine: MatchingEngine,
    *,
    participant_id: uuid.UUID,
    opening_id: uuid.UUID,
) -> CommandResult:
    """Propose a candidate for an opening; the score is recorded as it is now."""
    opening, _ = await _load(
        runtime, conn, domain.OPENING, opening_id, metadata.municipality, domain.fold_opening
    )
    candidate = engine.candidate(metadata.municipality, participant_id)
    if candidate is None or await participant_erased(conn, participant_id):
        raise NotFound(
            f"No candidate {participant_id} in municipality {metadata.municipality} "
            "(no consented competence profile, or erased)."
        )
    spec = engine.spec(metadata.municipality, opening_id)
    if spec is None:
        raise NOT_INDEXED.violation(
            "The opening is not in the matching index yet; retry in a moment.", "opening_id"
        )
    explained = engine.explain_pair(candidate, spec)
    match_id = uuid.uuid4()
    events = domain.propose_match(
        match_id,
        participant_id,
        opening,
        score=explained["score"],
        band=explained["band"],
        exclusion_reasons=explained["exclusion_reasons"] if explained["excluded"] else (),
    )
    version = await _append_match(
        runtime,
        conn,
        metadata,
        match_id,
        events,
        0,
        domain.LIVE_MATCH_EXISTS.violation(
            "This participant already has a live match for this opening.",
            "participant_id",
            "opening_id",
        ),
    )
    return CommandResult(
        201,
        {
            "id": str(match_id),
            "status": domain.MatchStatus.proposed.value,
            "score": explained["score"],
            "band": explained["band"],
            "version": version,
        },
    )


async def _append_match(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    match_id: uuid.UUID,
    events: list[Event],
    version: int,
    refused: RuleViolation | None = None,
) -> int:
    """:func:`_append` to the match's stream."""
    return await _append(runtime, conn, metadata, domain.MATCH, match_id, events, version, refused)


async def _match_and_its_opening(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, match_id: uuid.UUID
) -> tuple[domain.Match, int, domain.Opening, int]:
    """The match and its opening, the opening's stream row locked first.

    Concurrent starts and ends in one opening then run one after the other: when the
    last place is contested, exactly one start wins and the others see a filled opening.
    The match is read again after the lock, as the one before may have changed it.
    """
    state, _ = await _load(
        runtime, conn, domain.MATCH, match_id, metadata.municipality, domain.fold_match
    )
    if state.opening_id is None:
        raise NotFound(f"No match {match_id}.")
    opening, opening_version = await _load(
        runtime,
        conn,
        domain.OPENING,
        state.opening_id,
        metadata.municipality,
        domain.fold_opening,
        lock=True,
    )
    state, version = await _load(
        runtime, conn, domain.MATCH, match_id, metadata.municipality, domain.fold_match
    )
    return state, version, opening, opening_version


async def _append_to_match(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    match_id: uuid.UUID,
    state: domain.Match,
    events: list[Event],
    version: int,
    expected_version: int | None,
) -> tuple[domain.Match, dict[str, Any]]:
    """Append the match's events; its state after them and the step's answer."""
    new_version = await _append_match(
        runtime,
        conn,
        metadata,
        match_id,
        events,
        version if expected_version is None else expected_version,
    )
    for event in events:
        state = domain.evolve_match(state, event)
    assert state.status is not None
    return state, {"id": str(match_id), "status": state.status.value, "version": new_version}


async def start_match(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    match_id: uuid.UUID,
    *,
    starts_on: date | None,
    hours_per_week: float | None,
    permanent: bool | None,
    expected_version: int | None,
) -> CommandResult:
    """Start the placement or job, taking one of the opening's places.

    The opening's stream row is locked before anything is decided, so concurrent
    starts in one opening run one after the other: when the last place is contested,
    exactly one start wins and the others see a filled opening (409).
    """
    state, version, opening, opening_version = await _match_and_its_opening(
        runtime, conn, metadata, match_id
    )
    opening_id = state.opening_id
    assert opening_id is not None
    assert state.participant_id is not None and state.employer_id is not None
    mentors = await _mentor_load(conn, state.employer_id)
    participant = await _participant(conn, state.participant_id)
    placement_id = uuid.uuid4()
    match_events = _decide(
        lambda: domain.start(
            state,
            placement_id,
            starts_on=starts_on,
            hours_per_week=hours_per_week,
            permanent=permanent,
            participant=participant,
            mentors=mentors,
        ),
        version,
    )
    opening_events = _decide(lambda: domain.take_place(opening, match_id), version)
    await _append(
        runtime, conn, metadata, domain.OPENING, opening_id, opening_events, opening_version
    )
    state, body = await _append_to_match(
        runtime, conn, metadata, match_id, state, match_events, version, expected_version
    )
    if state.status is domain.MatchStatus.in_placement:
        body["placement_id"] = str(placement_id)
    return CommandResult(200, body)


async def end_placement(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    match_id: uuid.UUID,
    *,
    ends_on: date,
    outcome: PlacementOutcome,
    job: domain.JobTerms | None,
    expected_version: int | None,
) -> CommandResult:
    """End a practice placement (its place is free again) with its outcome."""
    state, version, opening, opening_version = await _match_and_its_opening(
        runtime, conn, metadata, match_id
    )
    opening_id = state.opening_id
    assert opening_id is not None
    match_events = _decide(
        lambda: domain.end_placement(state, ends_on, outcome, job, today=today()), version
    )
    await _append(
        runtime,
        conn,
        metadata,
        domain.OPENING,
        opening_id,
        domain.release_place(opening, match_id),
        opening_version,
    )
    _, body = await _append_to_match(
        runtime, conn, metadata, match_id, state, match_events, version, expected_version
    )
    return CommandResult(200, body)
