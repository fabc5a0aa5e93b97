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
- ``end_goal`` / ``norwegian_goal`` / ``plan_revision`` / ``plan_valid_from``: of the
  latest integration plan revision (``participants.plan.revised``), which the programme
  length the Act allows depends on.

What follows from them on a day (rights and duties, hours, programme length) is
computed from the dated tables by :func:`rights_on` ``(record, participant, day, tables)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from services.participants.events import act as ev_act
from services.participants.events import contract as ev_contract
from services.participants.events import journey as ev_journey
from shared.dated import DatedTable, load
from shared.dates import add_months, age_on
from shared.events import Event
from shared.rules import rule
from shared.vocabulary import EducationLevel, NorwegianLevel

ActCategory = ev_act.ActCategory
Scheme = ev_act.Scheme
EndGoal = ev_journey.EndGoal


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
    end_goal: EndGoal | None = None
    norwegian_goal: NorwegianLevel | None = None
    plan_revision: int | None = None
    plan_valid_from: date | None = None

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
        case ev_journey.PlanRevised():
            return replace(
                record,
                end_goal=event.end_goal,
                norwegian_goal=event.norwegian_goal,
                plan_revision=event.revision,
                plan_valid_from=event.valid_from,
            )
        case ev_contract.IntegrationContractSigned():
            return replace(
                record,
                contract=tuple(
                    replace(r, signed_on=event.signed_on) if r.revision == event.revision else r
                    for r in record.contract
                ),
            )
    return record


# -- the dated tables ---------------------------------------------------------------

RULES_PACKAGE = "services.participants.data"
RULES_RESOURCE = "integration_act.json"

Tables = Mapping[str, DatedTable]


@cache
def rule_tables() -> dict[str, DatedTable]:
    """The Integration Act's dated tables (checked once; a bad file stops the service)."""
    return load(RULES_PACKAGE, RULES_RESOURCE)


def _value(tables: Tables, name: str, day: date) -> Any | None:
    """The table's value on ``day``; ``None`` before its first entry (not in force)."""
    try:
        return tables[name].on(day)
    except LookupError:
        return None


def _source(tables: Tables, name: str, day: date) -> str | None:
    try:
        return tables[name].entry_on(day).source
    except LookupError:
        return None


# -- rules ----------------------------------------------------------------------------

S = "participants"

CATEGORY_DATE_ORDER = rule(
    "category-date-order",
    409,
    "Category change out of order",
    S,
    "A change of category (integreringsloven §§ 9, 27, 28 and kapittel 6A) is dated after the "
    "category it replaces; every earlier category is kept.",
)
CATEGORY_UNCHANGED = rule(
    "category-unchanged",
    409,
    "Category unchanged",
    S,
    "A change of category must change it: the participant already has this category.",
)
UKRAINE_RULES_NOT_IN_FORCE = rule(
    "ukraine-rules-not-in-force",
    422,
    "Temporary rules for Ukraine not in force",
    S,
    "The temporary rules of integreringsloven kapittel 6A apply to collective protection "
    "(utlendingsloven § 34) granted from 11 March 2022; use collective_protection otherwise.",
)
NO_CATEGORY = rule(
    "no-category",
    409,
    "No category recorded",
    S,
    "A decision on participation needs the person's category under the Act on its date "
    "(integreringsloven §§ 8, 9, 26–28).",
)
LEGAL_BASIS_SCHEME = rule(
    "legal-basis-scheme",
    422,
    "Legal basis does not fit the scheme",
    S,
    "The legal basis must be one the Act gives for this scheme (integreringsloven § 8 for the "
    "introduction programme, § 26 for Norwegian training and social studies, kapittel 6A).",
)
DECISION_WITHOUT_RIGHT = rule(
    "decision-without-right",
    409,
    "No right under this legal basis",
    S,
    "A decision granting participation under a section that gives a right or duty needs the "
    "person to have it on the decision's date, by category and age (integreringsloven § 8 "
    "første ledd: 18–55 år; § 26: 18–67 år; kapittel 6A).",
)
PROGRAMME_RESIDENCE_LIMIT = rule(
    "programme-residence-limit",
    409,
    "Lived in a municipality too long",
    S,
    "The right to an introduction programme requires the decision within two years of "
    "settlement (integreringsloven § 8 første ledd tredje punktum).",
)
DECISION_BEFORE_MAPPING = rule(
    "decision-before-mapping",
    409,
    "No competence mapping before the decision",
    S,
    "Every participant is mapped (kompetansekartlegging) before the municipality decides on an "
    "introduction programme (integreringsloven § 10, jf. § 12).",
)
UNKNOWN_DECISION = rule(
    "unknown-decision",
    409,
    "No such decision",
    S,
    "A complaint (klage) concerns a decision recorded for this participant.",
)
COMPLAINT_OPEN = rule(
    "complaint-open",
    409,
    "A complaint is already open",
    S,
    "The decision has an unresolved complaint; resolve it first (forvaltningsloven §§ 28–34).",
)
UNKNOWN_COMPLAINT = rule(
    "unknown-complaint",
    409,
    "No such complaint",
    S,
    "The complaint to resolve is one lodged for this participant.",
)
COMPLAINT_RESOLVED = rule(
    "complaint-resolved",
    409,
    "Complaint already resolved",
    S,
    "A complaint is resolved once (forvaltningsloven § 33–34); lodge a new one on the new "
    "decision instead.",
)
GUIDANCE_BEFORE_MAPPING = rule(
    "guidance-before-mapping",
    409,
    "Career guidance before competence mapping",
    S,
    "Career guidance builds on the competence mapping (integreringsloven § 11, jf. § 10): map "
    "first.",
)
CONTRACT_WITHOUT_PLAN = rule(
    "contract-without-plan",
    409,
    "No integration plan",
    S,
    "The integration contract is made together with the integration plan (integreringsloven "
    "§ 16, jf. § 15): record the plan first.",
)
CONTRACT_EXISTS = rule(
    "contract-exists",
    409,
    "Integration contract already agreed",
    S,
    "The participant has an integration contract (integreringsloven § 16); revise it instead.",
)
NO_CONTRACT = rule(
    "no-contract",
    409,
    "No integration contract",
    S,
    "Agree the integration contract (integreringsloven § 16) before signing or revising it.",
)
CONTRACT_REVISION_UNKNOWN = rule(
    "contract-revision-unknown",
    409,
    "No such contract revision",
    S,
    "Only a revision of the integration contract that exists can be signed.",
)
CONTRACT_SIGNED = rule(
    "contract-signed",
    409,
    "Contract revision already signed",
    S,
    "A revision of the integration contract is signed once; revise it for a change.",
)
CONTRACT_UNSIGNED = rule(
    "contract-unsigned",
    409,
    "Contract revision not signed",
    S,
    "The latest revision of the integration contract is signed before it is revised "
    "(integreringsloven § 16).",
)
PROGRAMME_LENGTH = rule(
    "programme-length",
    409,
    "Programme longer than the Act allows",
    S,
    "The programme's planned length (leave not counted) is at most what integreringsloven "
    "§ 13 (with upper-secondary education or higher), § 14 (without; longer with the end goal "
    "fullført videregående opplæring) or kapittel 6A allows, extension included.",
)


# -- rights and duties ----------------------------------------------------------------

RIGHT_STATUSES = ("right_and_duty", "right", "duty", "may_offer", "none")
"""A right's status, strongest first: rett og plikt, rett, plikt, kan tilbys, ingen."""


@dataclass(frozen=True)
class Right:
    """What the Act gives the person to one scheme on one day."""

    scheme: ev_act.Scheme
    status: str
    """One of :data:`RIGHT_STATUSES`."""
    legal_basis: str | None
    """A code of the ``legal_bases`` table (``il-8-1``), ``None`` when there is none."""
    reason: str
    """Why: ``category`` (from the category), ``below_age`` / ``above_age`` (outside the
    age limits), ``no_category`` (none recorded on the day), ``not_in_force`` (the rules
    for the category were not in force on the day)."""
    hours: float | None = None
    """Hours to complete: social studies hours; a year of full-time programme hours; ``None``
    where the Act sets a level, not hours (Norwegian training)."""
    hours_per_week: float | None = None
    weeks_per_year: int | None = None
    age_limits: tuple[int, int] | None = None


@dataclass(frozen=True)
class Rights:
    """The person's category, ages and rights and duties on ``day``."""

    day: date
    category: CategoryPeriod | None
    age: int | None
    """Age on ``day``."""
    age_at_permit: int | None
    """Age on the day the category's permit was granted (or the category began)."""
    rights: tuple[Right, ...]

    def right(self, scheme: ev_act.Scheme) -> Right:
        return next(r for r in self.rights if r.scheme == scheme)


def permit_day(period: CategoryPeriod) -> date:
    """The day ages are taken on for a category: the permit's grant, else its start."""
    return period.permit_granted_on or period.valid_from


def rights_on(record: ActRecord, participant: Any, day: date, tables: Tables) -> Rights:
    """The rights and duties (rett og plikt) the Act gives on ``day``: category and age.

    ``participant`` is the folded :class:`~services.participants.domain.state.Participant`
    (its ``born_on``: the birth date, or the first day of the birth year when unknown).
    The programme's age limits are taken on the day the permit was granted
    (integreringsloven § 8); training's too, and training's right and duty end at the
    upper limit (§ 26: «opphører ved fylte 67 år»). Every number comes from ``tables``.
    """
    period = record.category_on(day)
    born: date | None = participant.born_on if participant.birth_year is not None else None
    age = age_on(born, day) if born is not None else None
    if period is None:
        return Rights(
            day,
            None,
            age,
            None,
            tuple(Right(s, "none", None, "no_category") for s in ev_act.Scheme),
        )
    at_permit = age_on(born, permit_day(period)) if born is not None else None
    by_category = _value(tables, "rights", day) or {}
    schemes = by_category.get(period.category.value)
    if schemes is None:
        return Rights(
            day,
            period,
            age,
            at_permit,
            tuple(Right(s, "none", None, "not_in_force") for s in ev_act.Scheme),
        )
    outside = _value(tables, "outside_age", day) or {}
    full = _value(tables, "full_time", day) or {}
    rights: list[Right] = []
    for scheme in ev_act.Scheme:
        given = schemes[scheme.value]
        limits_table = (
            "programme_age" if scheme == ev_act.Scheme.introduction_programme else "training_age"
        )
        limits = _value(tables, limits_table, day) or {"min": 0, "max": 200}
        low, high = int(limits["min"]), int(limits["max"])
        side: str | None = None
        if at_permit is not None and at_permit < low:
            side = "below"
        elif at_permit is not None and at_permit > high:
            side = "above"
        elif scheme != ev_act.Scheme.introduction_programme and age is not None and age >= high:
            side = "above"  # the right and duty to training end at the upper limit
        if side is not None and given["status"] != "none":
            instead = outside.get(scheme.value, {}).get(side, {"status": "none"})
            rights.append(
                Right(
                    scheme,
                    str(instead["status"]),
                    instead.get("legal_basis"),
                    f"{side}_age",
                    age_limits=(low, high),
                )
            )
            continue
        hours: float | None = given.get("hours")
        per_week: float | None = None
        weeks: int | None = None
        if scheme == ev_act.Scheme.introduction_programme and given["status"] != "none" and full:
            per_week = float(full["hours_per_week"])
            weeks = int(full["weeks_per_year"])
            hours = per_week * weeks
        rights.append(
            Right(
                scheme,
                str(given["status"]),
                given.get("legal_basis"),
                "category",
                hours=hours,
                hours_per_week=per_week,
                weeks_per_year=weeks,
                age_limits=(low, high),
            )
        )
    return Rights(day, period, age, at_permit, tuple(rights))


def legal_basis(tables: Tables, code: str, day: date) -> dict[str, Any] | None:
    """The ``legal_bases`` entry of ``code`` in force on ``day`` (section, schemes, grants)."""
    bases = _value(tables, "legal_bases", day) or {}
    found = bases.get(code)
    return dict(found) if isinstance(found, Mapping) else None


# -- programme length ------------------------------------------------------------------


@dataclass(frozen=True)
class LengthLimit:
    """How long the programme may last for this participant (leave not counted)."""

    group: str
    """``upper_secondary_or_higher`` (§ 13), ``without_upper_secondary`` /
    ``without_upper_secondary_goal_upper_secondary`` (§ 14), ``ukraine_temporary`` (kap. 6A)."""
    min_months: int
    max_months: int
    extension_months: int
    legal_basis: str
    source: str

    def normal_end(self, starts_on: date) -> date:
        return add_months(starts_on, self.max_months)

    def latest_end(self, starts_on: date) -> date:
        """The latest planned end, the extension (forlengelse) included."""
        return add_months(starts_on, self.max_months + self.extension_months)


def length_group(record: ActRecord, day: date, end_goal: Any | None, ukraine_in_force: bool) -> str:
    """Which length rule applies: kapittel 6A for ``ukraine_temporary``; § 13 with
    upper-secondary education or higher (from the mapping); otherwise § 14, the longer
    one for the end goal fullført videregående opplæring (or when the end goal is not
    known yet, so the check never refuses what a later plan could allow)."""
    period = record.category_on(day)
    if (
        ukraine_in_force
        and period is not None
        and period.category == ev_act.ActCategory.ukraine_temporary
    ):
        return "ukraine_temporary"
    if record.upper_secondary_completed:
        return "upper_secondary_or_higher"
    if end_goal is None or str(getattr(end_goal, "value", end_goal)) == "upper_secondary":
        return "without_upper_secondary_goal_upper_secondary"
    return "without_upper_secondary"


def length_limit(
    record: ActRecord, starts_on: date, end_goal: Any | None, tables: Tables
) -> LengthLimit | None:
    """The length limit for a programme starting ``starts_on``; ``None`` before the Act."""
    groups = _value(tables, "programme_length", starts_on)
    if not groups:
        return None
    group = length_group(record, starts_on, end_goal, "ukraine_temporary" in groups)
    found = groups[group]
    return LengthLimit(
        group,
        int(found["min_months"]),
        int(found["max_months"]),
        int(found["extension_months"]),
        str(found["legal_basis"]),
        _source(tables, "programme_length", starts_on) or "",
    )


def check_programme_length(
    record: ActRecord,
    starts_on: date,
    planned_end: date,
    end_goal: Any | None,
    tables: Tables,
    field: str,
) -> LengthLimit | None:
    """Refuse a planned end beyond what the Act allows (``programme-length``)."""
    limit = length_limit(record, starts_on, end_goal, tables)
    if limit is None:
        return None
    latest = limit.latest_end(starts_on)
    if planned_end > latest:
        goal = str(getattr(end_goal, "value", end_goal)) if end_goal is not None else None
        raise PROGRAMME_LENGTH.violation(
            f"{field}: a programme starting {starts_on.isoformat()} and planned to end "
            f"{planned_end.isoformat()} is longer than the {limit.max_months} months "
            f"+ {limit.extension_months} months' extension the Act allows "
            f"({limit.legal_basis}, {limit.group}); the latest end is {latest.isoformat()}.",
            field,
            starts_on=starts_on,
            planned_end=planned_end,
            latest_end=latest,
            group=limit.group,
            legal_basis=limit.legal_basis,
            end_goal=goal,
        )
    return limit


# -- the full-time rule ------------------------------------------------------------------


@dataclass(frozen=True)
class FullTime:
    """The plan's hours against the full-time rule, per week and per year."""

    hours_per_week: float
    """Planned hours in the week of ``valid_from``."""
    required_per_week: float
    full_time_week: bool
    hours_per_year: float
    """Planned hours over the plan's year (52 weeks from ``valid_from``, or to the planned
    end), holiday weeks taken out in proportion."""
    required_per_year: float
    full_time_year: bool
    weeks_per_year: int

    @property
    def full_time(self) -> bool:
        return self.full_time_week and self.full_time_year


def full_time_rule(tables: Tables, day: date) -> tuple[float, int]:
    """Hours a week and weeks a year of a full-time programme on ``day``."""
    found = _value(tables, "full_time", day)
    if found is None:
        found = tables["full_time"].entries[0].value
    return float(found["hours_per_week"]), int(found["weeks_per_year"])


def _weekly(activities: Iterable[Any], on: date) -> float:
    return float(
        sum(
            a.hours_per_week
            for a in activities
            if a.starts_on <= on and (a.ends_on is None or a.ends_on >= on)
        )
    )


def full_time_check(
    activities: tuple[Any, ...], valid_from: date, planned_end: date | None, tables: Tables
) -> FullTime:
    """The plan checked per week (the week of ``valid_from``) and per year (the average
    week of the plan's year must reach full time; ``weeks_per_year`` of the year's 52 are
    programme weeks, the rest holiday)."""
    per_week, weeks = full_time_rule(tables, valid_from)
    this_week = _weekly(activities, valid_from)
    starts = [valid_from + timedelta(weeks=k) for k in range(52)]
    if planned_end is not None:
        starts = [s for s in starts if s < planned_end] or [valid_from]
    average = sum(_weekly(activities, s) for s in starts) / len(starts)
    share = weeks * len(starts) / 52
    hours_year = round(average * share, 2)
    required_year = round(per_week * share, 2)
    return FullTime(
        hours_per_week=this_week,
        required_per_week=per_week,
        full_time_week=this_week >= per_week,
        hours_per_year=hours_year,
        required_per_year=required_year,
        full_time_year=average >= per_week,
        weeks_per_year=weeks,
    )
