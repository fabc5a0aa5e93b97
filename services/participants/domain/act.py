"""The person under the Integration Act (integreringsloven): category, rights and
duties, the decision on participation and its complaints, mapping, guidance and the
integration contract.

:class:`ActRecord` is folded from the participant's stream by :func:`apply` and is
what other parts read (``participant.act``):

- ``categories``: the category history, oldest first, one :class:`CategoryPeriod` per
  ``participants.act.category_recorded``; periods never overlap (each ends the day
  before the next begins; the last is open). :meth:`ActRecord.category_on` answers a day.
- ``decisions``: every :class:`Decision` (vedtak), in the order recorded;
  :meth:`ActRecord.decision_for` the latest one on a scheme.
- ``complaints``: every :class:`Complaint` (klage) with its outcome once resolved.
- ``mapped_on`` / ``guided_on``: the first competence mapping (kartlegging, § 10) and
  career guidance (karriereveiledning, § 11), the days their deadlines look at, ``None``
  until done; ``mappings`` / ``guidances`` every day one was recorded; ``education_level``
  and ``upper_secondary_completed`` from the latest mapping.
- ``contract_id`` and ``contract``: the integration contract (integreringskontrakt,
  § 16), every :class:`ContractRevision` kept, oldest first.

What follows from them on a day (rights and duties, hours, programme length) is
computed from the dated tables by :func:`rights_on` ``(record, participant, day, tables)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from services.participants.events import act as ev_act
from services.participants.events import contract as ev_contract
from shared.events import Event
from shared.vocabulary import EducationLevel

ActCategory = ev_act.ActCategory
Scheme = ev_act.Scheme


@dataclass(frozen=True)
class CategoryPeriod:
    """The person's category from ``valid_from`` through ``valid_to`` (inclusive)."""

    category: ev_act.ActCategory
    valid_from: date
    valid_to: date | None = None
    """The last day, the day before the next category; ``None`` while current."""
    permit_granted_on: date | None = None
    """When the permit behind the category was granted (the day ages are taken on)."""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Decision:
    """A decision (vedtak) on participation in ``scheme``."""

    decision_id: uuid.UUID
    scheme: ev_act.Scheme
    decided_on: date
    legal_basis: str
    """A code such as ``il-8`` (see ``GET /integration-act/rules``, table ``legal_bases``)."""
    granted: bool
    category: ev_act.ActCategory


@dataclass(frozen=True)
class Complaint:
    """A complaint (klage) on decision ``decision_id``; resolved once ``outcome`` is set."""

    complaint_id: uuid.UUID
    decision_id: uuid.UUID
    lodged_on: date
    resolved_on: date | None = None
    outcome: ev_act.ComplaintOutcome | None = None
    resolved_by: ev_act.ComplaintBody | None = None

    @property
    def open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True)
class ContractRevision:
    """One revision of the integration contract; revision 1 is the agreement."""

    revision: int
    agreed_on: date
    plan_revision: int
    signed_on: date | None = None

    @property
    def signed(self) -> bool:
        return self.signed_on is not None


@dataclass(frozen=True)
class ActRecord:
    """Folded from the participant's stream (see :func:`apply` and the module docstring)."""

    categories: tuple[CategoryPeriod, ...] = ()
    decisions: tuple[Decision, ...] = ()
    complaints: tuple[Complaint, ...] = ()
    mapped_on: date | None = None
    mappings: tuple[date, ...] = ()
    education_level: EducationLevel | None = None
    upper_secondary_completed: bool = False
    guided_on: date | None = None
    guidances: tuple[date, ...] = ()
    contract_id: uuid.UUID | None = None
    contract: tuple[ContractRevision, ...] = ()

    @property
    def category(self) -> CategoryPeriod | None:
        """The latest category period (the current one), if any."""
        return self.categories[-1] if self.categories else None

    def category_on(self, day: date) -> CategoryPeriod | None:
        """The category period covering ``day``; ``None`` before the first."""
        for period in reversed(self.categories):
            if period.covers(day):
                return period
        return None

    def decision(self, decision_id: uuid.UUID) -> Decision | None:
        for decision in self.decisions:
            if decision.decision_id == decision_id:
                return decision
        return None

    def decision_for(self, scheme: ev_act.Scheme, on: date | None = None) -> Decision | None:
        """The latest decision on ``scheme`` (made on or before ``on``, when given)."""
        found = [
            d for d in self.decisions if d.scheme == scheme and (on is None or d.decided_on <= on)
        ]
        return max(found, key=lambda d: d.decided_on) if found else None

    def complaint(self, complaint_id: uuid.UUID) -> Complaint | None:
        for complaint in self.complaints:
            if complaint.complaint_id == complaint_id:
                return complaint
        return None

    @property
    def contract_revision(self) -> ContractRevision | None:
        """The latest revision of the integration contract, if one is agreed."""
        return self.contract[-1] if self.contract else None


def _with_category(
    periods: tuple[CategoryPeriod, ...], event: ev_act.CategoryRecorded
) -> tuple[CategoryPeriod, ...]:
    """Periods with ``event`` inserted by its ``valid_from`` (a period starting that same day
    is replaced), each period ending the day before the next: never overlapping."""
    starts = [
        (p.valid_from, p.category, p.permit_granted_on)
        for p in periods
        if p.valid_from != event.valid_from
    ]
    starts.append((event.valid_from, event.category, event.permit_granted_on))
    starts.sort(key=lambda item: item[0])
    folded: list[CategoryPeriod] = []
    for index, (valid_from, category, granted) in enumerate(starts):
        valid_to = starts[index + 1][0] - timedelta(days=1) if index + 1 < len(starts) else None
        folded.append(CategoryPeriod(category, valid_from, valid_to, granted))
    return tuple(folded)


def _replace_complaint(record: ActRecord, complaint_id: uuid.UUID, **changes: object) -> ActRecord:
    complaints = tuple(
        replace(c, **changes) if c.complaint_id == complaint_id else c  # type: ignore[arg-type]
        for c in record.complaints
    )
    return replace(record, complaints=complaints)


def apply(record: ActRecord, event: Event) -> ActRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    match event:
        case ev_act.CategoryRecorded():
            return replace(record, categories=_with_category(record.categories, event))
        case ev_act.ParticipationDecided():
            decision = Decision(
                event.decision_id,
                event.scheme,
                event.decided_on,
                event.legal_basis,
                event.granted,
                event.category,
            )
            return replace(record, decisions=(*record.decisions, decision))
        case ev_act.ComplaintLodged():
            complaint = Complaint(event.complaint_id, event.decision_id, event.lodged_on)
            return replace(record, complaints=(*record.complaints, complaint))
        case ev_act.ComplaintResolved():
            return _replace_complaint(
                record,
                event.complaint_id,
                resolved_on=event.resolved_on,
                outcome=event.outcome,
                resolved_by=event.resolved_by,
            )
        case ev_contract.CompetenceMapped():
            return replace(
                record,
                mapped_on=record.mapped_on or event.mapped_on,
                mappings=(*record.mappings, event.mapped_on),
                education_level=event.education_level,
                upper_secondary_completed=event.upper_secondary_completed,
            )
        case ev_contract.CareerGuidanceGiven():
            return replace(
                record,
                guided_on=record.guided_on or event.guided_on,
                guidances=(*record.guidances, event.guided_on),
            )
        case ev_contract.IntegrationContractAgreed():
            revision = ContractRevision(event.revision, event.agreed_on, event.plan_revision)
            return replace(record, contract_id=event.contract_id, contract=(revision,))
        case ev_contract.IntegrationContractRevised():
            revision = ContractRevision(event.revision, event.revised_on, event.plan_revision)
            return replace(record, contract=(*record.contract, revision))
        case ev_contract.IntegrationContractSigned():
            return replace(
                record,
                contract=tuple(
                    replace(r, signed_on=event.signed_on) if r.revision == event.revision else r
                    for r in record.contract
                ),
            )
    return record
