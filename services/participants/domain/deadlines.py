"""Deadlines: what the Integration Act and the municipality give a caseworker to do by when.

A deadline starts from a fact (``after``: the settlement, the programme's start …) and is
met by another (``met_by``: the decision, the plan …). The Act's deadlines are dated
rule data (``data/deadlines.json``, each with its source); a municipality adds its own
(:class:`MunicipalRule`, "plan within 30 days of programme start"). Everything is
computed from the facts as of a day: a fact dated after ``today`` has not happened yet.

Why a month deadline clamps: three months after 30 November is 28 (29) February, the
last day of that month — the Act counts in months, and no day of March is meant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from services.participants.domain.state import Participant
from services.participants.events import act as ev_act
from shared import dates
from shared.dated import DatedTable, load
from shared.dates import LATEST
from shared.rules import rule
from shared.vocabulary import EducationLevel

S = "participants"

UNKNOWN_FACT = rule(
    "unknown-deadline-fact",
    422,
    "Not a fact a deadline can start from or be met by",
    S,
    "A municipal deadline starts from one of the journey's facts and is met by another "
    "(GET /deadlines/rules lists them); the Act's own deadlines (integreringsloven §§ 10–15, "
    "§ 28 ff.) cannot be changed.",
)
SAME_FACT = rule(
    "deadline-same-fact",
    422,
    "A deadline cannot be met by the fact that starts it",
    S,
    "`after` and `met_by` name two different facts.",
)
DEADLINE_RULE_EXISTS = rule(
    "deadline-rule-exists",
    409,
    "A municipal deadline with this code exists",
    S,
    "Each municipal deadline has its own code; retire the old one first.",
)
NO_DEADLINE_RULE = rule(
    "no-deadline-rule",
    409,
    "No such municipal deadline",
    S,
    "Only a municipal deadline in force can be retired.",
)

UPPER_SECONDARY_OR_MORE = frozenset(
    {
        EducationLevel.upper_secondary,
        EducationLevel.vocational,
        EducationLevel.bachelor,
        EducationLevel.master,
        EducationLevel.doctorate,
    }
)


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later (:func:`shared.dates.add_months`), at most the window's end."""
    if day.year + (day.month - 1 + months) // 12 > LATEST.year:
        return LATEST
    return dates.add_months(day, months)


def days_left(due_on: date, today: date) -> int:
    """Days from ``today`` to ``due_on``: 0 on the day, negative once overdue."""
    return (due_on - today).days


# -- facts ---------------------------------------------------------------------------


def _first_plan(state: Participant) -> date | None:
    current = state.programme
    if current is None:
        return None
    days = [valid_from for pid, valid_from, _ in state.plans if pid == current.programme_id]
    return min(days) if days else None


def _decision(state: Participant) -> date | None:
    found = state.act.decision_for(ev_act.Scheme.introduction_programme)
    return found.decided_on if found is not None else None


def _contract_agreed(state: Participant) -> date | None:
    return state.act.contract[0].agreed_on if state.act.contract else None


def _contract_signed(state: Participant) -> date | None:
    signed = [r.signed_on for r in state.act.contract if r.signed_on is not None]
    return min(signed) if signed else None


def _started(state: Participant) -> date | None:
    return state.programme.starts_on if state.programme is not None else None


def _ended(state: Participant) -> date | None:
    return state.programme.ended_on if state.programme is not None else None


def _end_reason(state: Participant) -> date | None:
    current = state.programme
    if current is None or current.ended_on is None:
        return None
    return current.ended_on if state.nir.end_reason(current.programme_id) else None


def _follow_up(state: Participant) -> date | None:
    start = _started(state)
    held = [d for d in state.follow_ups if start is not None and d >= start]
    return min(held) if held else None


def _norwegian_test(state: Participant) -> date | None:
    taken = [on for _, _, on in state.norwegian_tests]
    return min(taken) if taken else None


FACTS: dict[str, Callable[[Participant], date | None]] = {
    "settled_on": lambda s: s.settled_on,
    "programme_decision": _decision,
    "competence_mapped": lambda s: s.act.mapped_on,
    "career_guidance": lambda s: s.act.guided_on,
    "programme_started": _started,
    "plan_revised": _first_plan,
    "contract_agreed": _contract_agreed,
    "contract_signed": _contract_signed,
    "follow_up_conversation": _follow_up,
    "norwegian_test": _norwegian_test,
    "programme_ended": _ended,
    "end_reason": _end_reason,
}
"""Every fact a deadline can start from or be met by, and where the state keeps it (for
the latest programme where a fact belongs to one)."""


def fact_on(state: Participant, fact: str, today: date) -> date | None:
    """The day ``fact`` happened, if it has by ``today``."""
    day = FACTS[fact](state)
    return day if day is not None and day <= today else None


# -- rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """One open deadline of one participant."""

    code: str
    kind: str
    """``act`` (the law's) or ``municipal`` (the municipality's own)."""
    after: str
    after_on: date
    due_on: date
    source: str
    met_by: str | None = None
    label: dict[str, str] | None = None
    """A municipal deadline's own label per locale (the Act's come from the catalogs)."""

    def days_left(self, today: date) -> int:
        return days_left(self.due_on, today)

    def view(self, today: date) -> dict[str, Any]:
        left = self.days_left(today)
        return {
            "deadline": self.code,
            "kind": self.kind,
            "after": {"fact": self.after, "on": self.after_on.isoformat()},
            "met_by": self.met_by,
            "due_on": self.due_on.isoformat(),
            "days_left": left,
            "overdue": left < 0,
            "source": self.source,
        }


@dataclass(frozen=True)
class MunicipalRule:
    """A municipality's internal deadline: ``met_by`` within ``days`` after ``after``."""

    code: str
    after: str
    met_by: str
    days: int
    label_nb: str
    label_en: str | None = None


@cache
def tables() -> dict[str, DatedTable]:
    """The Act's deadlines as dated rule data (``data/deadlines.json``)."""
    return load("services.participants.data", "deadlines.json")


def _category(state: Participant, day: date) -> str | None:
    period = state.act.category_on(day) or state.act.category
    return period.category.value if period is not None else None


def _applies(value: dict[str, Any], state: Participant, day: date) -> bool:
    wanted = value.get("applies_to") or []
    category = _category(state, day)
    # Until the category is recorded the deadline shows: missing it would be worse.
    return not wanted or category is None or category in wanted


def _norwegian_right(
    state: Participant, value: dict[str, Any], today: date
) -> tuple[str, date, date] | None:
    settled = fact_on(state, "settled_on", today)
    if settled is None:
        return None
    if _category(state, settled) == ev_act.ActCategory.ukraine_temporary.value:
        after = value.get("temporary_rules_after", "programme_started")
        start = fact_on(state, after, today)
        if start is None:
            return None
        return after, start, add_months(start, int(value["temporary_rules_months"]))
    act = state.act
    educated = act.upper_secondary_completed or act.education_level in UPPER_SECONDARY_OR_MORE
    months = int(value["months_with_upper_secondary"] if educated else value["months"])
    return "settled_on", settled, add_months(settled, months)


def act_deadlines(state: Participant, today: date) -> list[Deadline]:
    """The Act's open deadlines for the participant as of ``today``.

    A deadline is open once the fact it starts from has happened and until the fact
    that meets it has; the right to Norwegian training ends whatever happens, so it is
    listed while the participant's case is open. Nothing is listed for an erased
    participant or one who has left the municipality.
    """
    if not _open_case(state, today):
        return []
    found: list[Deadline] = []
    for code, table in tables().items():
        try:
            entry = table.entry_on(today)
        except LookupError:
            continue
        value = entry.value
        if code == "norwegian_training_right":
            if not _applies(value, state, today):
                continue
            computed = _norwegian_right(state, value, today)
            if computed is not None:
                after, since, due = computed
                found.append(Deadline(code, "act", after, since, due, entry.source))
            continue
        after_on = fact_on(state, value["after"], today)
        if after_on is None or not _applies(value, state, after_on):
            continue
        met_by = value.get("met_by")
        if met_by and fact_on(state, met_by, today) is not None:
            continue
        due = add_months(after_on, int(value["months"]))
        found.append(
            Deadline(code, "act", value["after"], after_on, due, entry.source, met_by=met_by)
        )
    return found


def municipal_deadlines(
    state: Participant, today: date, rules: Iterable[MunicipalRule]
) -> list[Deadline]:
    """The municipality's own open deadlines for the participant as of ``today``."""
    if not _open_case(state, today):
        return []
    found = []
    for item in rules:
        after_on = fact_on(state, item.after, today)
        if after_on is None or fact_on(state, item.met_by, today) is not None:
            continue
        due = min(after_on + timedelta(days=min(item.days, (LATEST - after_on).days)), LATEST)
        label = {"nb": item.label_nb, "en": item.label_en or item.label_nb}
        found.append(
            Deadline(
                item.code,
                "municipal",
                item.after,
                after_on,
                due,
                "kommunens egen frist / the municipality's own deadline",
                met_by=item.met_by,
                label=label,
            )
        )
    return found


def _open_case(state: Participant, today: date) -> bool:
    return state.exists and state.status_on(today) not in {
        "erased",
        "deceased",
        "emigrated",
        "moved_out",
    }


def check_rule(after: str, met_by: str) -> None:
    """A municipal rule names two different known facts, or the rule it breaks."""
    for name, fact in (("after", after), ("met_by", met_by)):
        if fact not in FACTS:
            raise UNKNOWN_FACT.violation(
                f"{name} {fact!r} is not a fact deadlines know (GET /deadlines/rules).",
                name,
            )
    if after == met_by:
        raise SAME_FACT.violation("after and met_by name the same fact.", "met_by")
