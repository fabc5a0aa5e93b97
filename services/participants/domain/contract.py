"""Pure decisions under the Integration Act: category, decision (vedtak), complaint
(klage), competence mapping, career guidance and the integration contract.

Each takes the folded participant, the command's values, ``today`` and the dated tables
(:func:`services.participants.domain.act.rule_tables`), and returns the events or raises
a :class:`shared.rules.RuleViolation` naming its rule, the fields and the section of the
Act; a refusal changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.participants import events as ev
from services.participants.domain import act
from services.participants.domain import rules as r
from services.participants.domain.act import Tables
from services.participants.domain.decisions import (
    _after_birth,
    _after_settlement,
    _alive,
    _current,
    _present,
    add_years,
)
from services.participants.domain.state import Participant
from shared.date_order import refuse_before
from shared.dates import not_in_future
from shared.events import Event
from shared.rules import rule
from shared.vocabulary import EducationLevel

S = "participants"

ID_TAKEN = rule(
    "id-taken",
    409,
    "Id already used",
    S,
    "A decision or complaint id chosen by the client must be new for the participant.",
)
EDUCATION_CONTRADICTION = rule(
    "education-contradiction",
    422,
    "Education level contradicts upper-secondary completion",
    S,
    "upper_secondary_completed means fullført videregående opplæring or higher; the education "
    "level found by the mapping must then be upper secondary or above (integreringsloven §§ 10, "
    "13 and 14).",
)
BELOW_UPPER_SECONDARY = frozenset(
    {EducationLevel.none, EducationLevel.primary, EducationLevel.lower_secondary}
)


def _settled(state: Participant, what: str) -> date:
    if state.settled_on is None:
        raise r.NOT_SETTLED.violation(f"Record the settlement (bosetting) before {what}.")
    return state.settled_on


# -- who the person is ----------------------------------------------------------------


def record_category(
    state: Participant,
    category: ev.ActCategory,
    valid_from: date,
    permit_granted_on: date | None,
    today: date,
    tables: Tables,
) -> list[Event]:
    """The person's category from ``valid_from``: the first, or a change (kept beside the
    earlier ones, which end the day before)."""
    pid = _present(state, today, "valid_from", valid_from)
    not_in_future("valid_from", valid_from, today, "A category")
    _after_birth(state, "valid_from", valid_from)
    if permit_granted_on is not None:
        not_in_future("permit_granted_on", permit_granted_on, today, "A residence permit")
        _after_birth(state, "permit_granted_on", permit_granted_on)
        if permit_granted_on > valid_from:
            raise r.DATE_ORDER.violation(
                f"permit_granted_on {permit_granted_on.isoformat()} is after valid_from "
                f"{valid_from.isoformat()}: the category follows from the permit.",
                "permit_granted_on",
                "valid_from",
                permit_granted_on=permit_granted_on,
                valid_from=valid_from,
            )
    if category == ev.ActCategory.ukraine_temporary:
        rules = act._value(tables, "ukraine_rules", today)
        granted = permit_granted_on or valid_from
        permits_from = date.fromisoformat(rules["permits_from"]) if rules else None
        if permits_from is None or granted < permits_from:
            raise act.UKRAINE_RULES_NOT_IN_FORCE.violation(
                f"The temporary rules of integreringsloven kapittel 6A apply to permits granted "
                f"from {permits_from.isoformat() if permits_from else '(not in force)'}; this "
                f"one dates from {granted.isoformat()}.",
                "category",
                "permit_granted_on" if permit_granted_on is not None else "valid_from",
                granted_on=granted,
                permits_from=permits_from,
            )
    current = state.act.category
    if current is not None:
        if valid_from <= current.valid_from:
            raise act.CATEGORY_DATE_ORDER.violation(
                f"valid_from {valid_from.isoformat()} is not after the current category's "
                f"start ({current.category.value} from {current.valid_from.isoformat()}); a "
                "change of category is dated after it.",
                "valid_from",
                valid_from=valid_from,
                current_from=current.valid_from,
            )
        if current.category == category:
            raise act.CATEGORY_UNCHANGED.violation(
                f"The participant's category is already {category.value} (from "
                f"{current.valid_from.isoformat()}).",
                "category",
                current_from=current.valid_from,
            )
    return [
        ev.CategoryRecorded(
            participant_id=pid,
            category=category,
            valid_from=valid_from,
            permit_granted_on=permit_granted_on,
        )
    ]


def decide_participation(
    state: Participant,
    decision_id: uuid.UUID,
    scheme: ev.Scheme,
    decided_on: date,
    legal_basis: str,
    granted: bool,
    sealed_grounds: str | None,
    today: date,
    tables: Tables,
) -> list[Event]:
    """The decision (vedtak) on ``scheme``; granting under a section that gives a right
    needs the right on ``decided_on`` (category and age)."""
    pid = _present(state, today, "decided_on", decided_on)
    not_in_future("decided_on", decided_on, today, "A decision")
    _after_birth(state, "decided_on", decided_on)
    if state.act.decision(decision_id) is not None:
        raise ID_TAKEN.violation(
            f"decision_id {decision_id} is already a decision of this participant.",
            "decision_id",
        )
    period = state.act.category_on(decided_on)
    if period is None:
        raise act.NO_CATEGORY.violation(
            f"The participant has no category under the Act on decided_on "
            f"{decided_on.isoformat()}; record it first (POST …/act/categories).",
            "decided_on",
            decided_on=decided_on,
        )
    basis = act.legal_basis(tables, legal_basis, decided_on)
    if basis is None or scheme.value not in basis.get("schemes", ()):
        raise act.LEGAL_BASIS_SCHEME.violation(
            f"legal_basis {legal_basis} is not a basis the Act gives for {scheme.value} on "
            f"{decided_on.isoformat()} (see GET /integration-act/rules, table legal_bases).",
            "legal_basis",
            legal_basis=legal_basis,
            scheme=scheme.value,
        )
    programme = scheme == ev.Scheme.introduction_programme
    if programme:
        settled_on = _settled(state, "a decision on the introduction programme")
        _after_settlement(state, "decided_on", decided_on)
    if granted:
        right = act.rights_on(state.act, state, decided_on, tables).right(scheme)
        gives_right = basis.get("grants") in ("right", "duty")
        if (gives_right and right.legal_basis != legal_basis) or right.status == "none":
            raise act.DECISION_WITHOUT_RIGHT.violation(
                f"On {decided_on.isoformat()} the participant ({period.category.value}, "
                f"{right.reason}) has {right.status} to {scheme.value} "
                f"({right.legal_basis or 'no legal basis'}), not a right under "
                f"{legal_basis} ({basis.get('section')}).",
                "legal_basis",
                "granted",
                decided_on=decided_on,
                status=right.status,
                reason=right.reason,
                expected_legal_basis=right.legal_basis,
            )
        if programme and legal_basis != "il-kap6a":
            mapped = state.act.mapped_on
            if mapped is None or mapped > decided_on:
                raise act.DECISION_BEFORE_MAPPING.violation(
                    "The participant is not mapped (kompetansekartlegging) on or before "
                    f"decided_on {decided_on.isoformat()}"
                    + (f" (mapped {mapped.isoformat()})." if mapped else "."),
                    "decided_on",
                    decided_on=decided_on,
                    mapped_on=mapped,
                )
        if programme and legal_basis == "il-8-1":
            years = int(act._value(tables, "programme_residence_years", decided_on) or 2)
            limit = add_years("decided_on", settled_on, years)
            if decided_on >= limit:
                raise act.PROGRAMME_RESIDENCE_LIMIT.violation(
                    f"decided_on {decided_on.isoformat()} is {years} years or more after the "
                    f"settlement ({settled_on.isoformat()}); the right under § 8 needs the "
                    f"decision before {limit.isoformat()}.",
                    "decided_on",
                    decided_on=decided_on,
                    settled_on=settled_on,
                    decide_before=limit,
                )
    events: list[Event] = [
        ev.ParticipationDecided(
            participant_id=pid,
            decision_id=decision_id,
            scheme=scheme,
            decided_on=decided_on,
            legal_basis=legal_basis,
            granted=granted,
            category=period.category,
        )
    ]
    if sealed_grounds is not None:
        events.append(
            ev.DecisionGroundsRecorded(
                participant_id=pid, decision_id=decision_id, sealed=sealed_grounds
            )
        )
    return events


def lodge_complaint(
    state: Participant,
    complaint_id: uuid.UUID,
    decision_id: uuid.UUID,
    lodged_on: date,
    sealed_grounds: str | None,
    today: date,
) -> list[Event]:
    """A complaint (klage) on a recorded decision, lodged on or after it."""
    pid = _alive(state)
    not_in_future("lodged_on", lodged_on, today, "A complaint")
    decision = state.act.decision(decision_id)
    if decision is None:
        raise act.UNKNOWN_DECISION.violation(
            f"decision_id {decision_id} is not a decision of this participant.", "decision_id"
        )
    if state.act.complaint(complaint_id) is not None:
        raise ID_TAKEN.violation(
            f"complaint_id {complaint_id} is already a complaint of this participant.",
            "complaint_id",
        )
    refuse_before(
        r.DATE_ORDER, "lodged_on", lodged_on, "the decision", decision.decided_on, "decided_on"
    )
    for other in state.act.complaints:
        if other.decision_id == decision_id and other.open:
            raise act.COMPLAINT_OPEN.violation(
                f"The complaint lodged {other.lodged_on.isoformat()} on this decision is not "
                "resolved.",
                "decision_id",
                lodged_on=other.lodged_on,
            )
    events: list[Event] = [
        ev.ComplaintLodged(
            participant_id=pid,
            complaint_id=complaint_id,
            decision_id=decision_id,
            lodged_on=lodged_on,
        )
    ]
    if sealed_grounds is not None:
        events.append(
            ev.ComplaintGroundsRecorded(
                participant_id=pid, complaint_id=complaint_id, sealed=sealed_grounds
            )
        )
    return events


def resolve_complaint(
    state: Participant,
    complaint_id: uuid.UUID,
    resolved_on: date,
    outcome: ev.ComplaintOutcome,
    resolved_by: ev.ComplaintBody,
    today: date,
) -> list[Event]:
    """The complaint's outcome, on or after it was lodged."""
    pid = _alive(state)
    not_in_future("resolved_on", resolved_on, today, "A complaint's outcome")
    complaint = state.act.complaint(complaint_id)
    if complaint is None:
        raise act.UNKNOWN_COMPLAINT.violation(
            f"complaint_id {complaint_id} is not a complaint of this participant.",
            "complaint_id",
        )
    if not complaint.open:
        raise act.COMPLAINT_RESOLVED.violation(
            f"The complaint was resolved on {complaint.resolved_on} "
            f"({complaint.outcome.value if complaint.outcome else ''}).",
            "complaint_id",
            resolved_on=complaint.resolved_on,
        )
    lodged = complaint.lodged_on
    refuse_before(
        r.DATE_ORDER, "resolved_on", resolved_on, "the complaint was lodged", lodged, "lodged_on"
    )
    return [
        ev.ComplaintResolved(
            participant_id=pid,
            complaint_id=complaint_id,
            decision_id=complaint.decision_id,
            resolved_on=resolved_on,
            outcome=outcome,
            resolved_by=resolved_by,
        )
    ]


# -- from mapping to contract -----------------------------------------------------------


def record_mapping(
    state: Participant,
    mapped_on: date,
    education_level: EducationLevel | None,
    upper_secondary_completed: bool,
    today: date,
) -> list[Event]:
    """The competence mapping after settlement (integreringsloven § 10)."""
    pid = _present(state, today, "mapped_on", mapped_on)
    not_in_future("mapped_on", mapped_on, today, "A competence mapping")
    _settled(state, "the competence mapping")
    _after_settlement(state, "mapped_on", mapped_on)
    if upper_secondary_completed and education_level in BELOW_UPPER_SECONDARY:
        raise EDUCATION_CONTRADICTION.violation(
            f"education_level {education_level.value if education_level else ''} is below "
            "upper secondary, but upper_secondary_completed is true.",
            "upper_secondary_completed",
            "education_level",
        )
    return [
        ev.CompetenceMapped(
            participant_id=pid,
            mapped_on=mapped_on,
            education_level=education_level,
            upper_secondary_completed=upper_secondary_completed,
        )
    ]


def record_guidance(state: Participant, guided_on: date, today: date) -> list[Event]:
    """Career guidance (integreringsloven § 11), building on the mapping."""
    pid = _present(state, today, "guided_on", guided_on)
    not_in_future("guided_on", guided_on, today, "Career guidance")
    _settled(state, "career guidance")
    _after_settlement(state, "guided_on", guided_on)
    mapped = state.act.mapped_on
    if mapped is None or mapped > guided_on:
        raise act.GUIDANCE_BEFORE_MAPPING.violation(
            f"guided_on {guided_on.isoformat()} is not on or after a competence mapping"
            + (f" (mapped {mapped.isoformat()})." if mapped else " (none recorded)."),
            "guided_on",
            guided_on=guided_on,
            mapped_on=mapped,
        )
    return [ev.CareerGuidanceGiven(participant_id=pid, guided_on=guided_on)]


def agree_contract(
    state: Participant,
    contract_id: uuid.UUID,
    agreed_on: date,
    sealed_content: str,
    today: date,
) -> list[Event]:
    """The integration contract (integreringsloven § 16), made with the plan (§ 15)."""
    pid = _present(state, today, "agreed_on", agreed_on)
    not_in_future("agreed_on", agreed_on, today, "An integration contract")
    _after_settlement(state, "agreed_on", agreed_on)
    if state.act.contract_id is not None:
        first = state.act.contract[0]
        raise act.CONTRACT_EXISTS.violation(
            f"The integration contract was agreed on {first.agreed_on.isoformat()}; revise it "
            "(POST …/contract/revisions).",
            agreed_on=first.agreed_on,
        )
    current = _current(state)
    if state.plan_revision < 1:
        raise act.CONTRACT_WITHOUT_PLAN.violation(
            "The programme has no integration plan yet (PUT …/plan)."
        )
    return [
        ev.IntegrationContractAgreed(
            participant_id=pid,
            contract_id=contract_id,
            programme_id=current.programme_id,
            agreed_on=agreed_on,
            plan_revision=state.plan_revision,
        ),
        ev.IntegrationContractContentRecorded(
            participant_id=pid, contract_id=contract_id, revision=1, sealed=sealed_content
        ),
    ]


def _contract(state: Participant) -> tuple[uuid.UUID, act.ContractRevision]:
    latest = state.act.contract_revision
    if state.act.contract_id is None or latest is None:
        raise act.NO_CONTRACT.violation(
            "The participant has no integration contract; agree one first (POST …/contract)."
        )
    return state.act.contract_id, latest


def sign_contract(state: Participant, revision: int, signed_on: date, today: date) -> list[Event]:
    """Both parties signed ``revision`` of the contract on ``signed_on``."""
    pid = _present(state, today, "signed_on", signed_on)
    not_in_future("signed_on", signed_on, today, "A signature")
    contract_id, _ = _contract(state)
    found = next((c for c in state.act.contract if c.revision == revision), None)
    if found is None:
        raise act.CONTRACT_REVISION_UNKNOWN.violation(
            f"The integration contract has no revision {revision} "
            f"(latest {state.act.contract[-1].revision}).",
            "revision",
        )
    if found.signed_on is not None:
        raise act.CONTRACT_SIGNED.violation(
            f"Revision {revision} was signed on {found.signed_on.isoformat()}.",
            "revision",
            signed_on=found.signed_on,
        )
    agreed = f"revision {revision} was agreed"
    refuse_before(r.DATE_ORDER, "signed_on", signed_on, agreed, found.agreed_on, "agreed_on")
    return [
        ev.IntegrationContractSigned(
            participant_id=pid, contract_id=contract_id, revision=revision, signed_on=signed_on
        )
    ]


def revise_contract(
    state: Participant, revised_on: date, sealed_content: str, today: date
) -> list[Event]:
    """A new revision of the contract; every earlier one is kept."""
    pid = _present(state, today, "revised_on", revised_on)
    not_in_future("revised_on", revised_on, today, "A contract revision")
    contract_id, latest = _contract(state)
    if latest.signed_on is None:
        raise act.CONTRACT_UNSIGNED.violation(
            f"Revision {latest.revision} (agreed {latest.agreed_on.isoformat()}) is not signed; "
            "sign it before revising.",
            revision=latest.revision,
        )
    signed = f"revision {latest.revision} was signed"
    refuse_before(r.DATE_ORDER, "revised_on", revised_on, signed, latest.signed_on, "signed_on")
    if state.plan_revision < 1:
        raise act.CONTRACT_WITHOUT_PLAN.violation(
            "The current programme has no integration plan yet (PUT …/plan)."
        )
    revision = latest.revision + 1
    return [
        ev.IntegrationContractRevised(
            participant_id=pid,
            contract_id=contract_id,
            revision=revision,
            revised_on=revised_on,
            plan_revision=state.plan_revision,
        ),
        ev.IntegrationContractContentRecorded(
            participant_id=pid, contract_id=contract_id, revision=revision, sealed=sealed_content
        ),
    ]
