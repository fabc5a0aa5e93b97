"""Unaccompanied minors' outcomes (Drammen's method): months in the shared home, upper
secondary drop-out, contact with working life in the first year, supplementary social
assistance after 20.

Each rule follows a cohort: the unaccompanied minors settled in the period (the period
date is ``settled_on``), with the outcome facts the participants service published by
the as-of date (``participants.minor.*``). Outcomes lie years after the settlement, so
a cohort's figure is read with a later as-of date; a fact dated after it has not
happened yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Literal, NamedTuple

from pydantic import Field

from services.indicators.domain.facts import Person, Snapshot
from services.indicators.domain.rules.reasons import REASONS
from services.indicators.domain.rules.result import (
    Context,
    Member,
    Result,
    in_base,
    left_out,
    median,
    share,
    years,
)
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit

DAYS_PER_MONTH = 365.25 / 12
"""A month as the mean calendar month, so a stay's months do not depend on which months."""

ASSISTANCE_AGE = 20

# The family's reasons live beside its rules; the catalogue of reasons is one mapping.
REASONS.update(
    {
        "minor_stay_ended": (
            "shared home {entered} → {left}: {months} months",
            "bofellesskap {entered} → {left}: {months} måneder",
        ),
        "minor_stay_open": (
            "still in the shared home since {entered}",
            "bor fortsatt i bofellesskap siden {entered}",
        ),
        "minor_never_in_shared_home": (
            "never recorded in a shared home",
            "aldri registrert i bofellesskap",
        ),
        "minor_dropped_out": (
            "dropped out of upper secondary school on {on}",
            "falt ut av videregående opplæring {on}",
        ),
        "minor_no_dropout": (
            "no drop-out recorded",
            "ikke registrert frafall",
        ),
        "minor_working_life_contact": (
            "contact with working life on {on}, within the first year",
            "kontakt med arbeidslivet {on}, innen første år",
        ),
        "minor_no_working_life_contact": (
            "no contact with working life in the first year (to {until})",
            "ingen kontakt med arbeidslivet første år (til {until})",
        ),
        "minor_first_year_open": (
            "first year not over (until {until}), no contact yet",
            "første år er ikke over (til {until}), ingen kontakt ennå",
        ),
        "minor_assistance_after_twenty": (
            "supplementary social assistance after 20, on {on}",
            "supplerende sosialhjelp etter 20 år, {on}",
        ),
        "minor_no_assistance_after_twenty": (
            "20 or older ({birth_year}), no supplementary social assistance",
            "20 år eller eldre ({birth_year}), ingen supplerende sosialhjelp",
        ),
        "minor_not_twenty_yet": (
            "not 20 by the as-of year (born {birth_year})",
            "ikke 20 år i året det måles (født {birth_year})",
        ),
    }
)


class CohortParams(Params):
    pass


class StayParams(Params):
    statistic: Literal["mean_months", "median_months"] = Field(
        default="mean_months", description="The mean or the median of the stays' months."
    )


def _cohort(snapshot: Snapshot, context: Context) -> Iterator[tuple[Person, date]]:
    """The unaccompanied minors settled in the period, known by the as-of date."""
    for year in years(context.period):
        for person in snapshot.settled_in_year(year):
            settled_on = person.settled_on
            if person.unaccompanied_minor and settled_on and context.counts(settled_on):
                yield person, settled_on


class _Verdict(NamedTuple):
    """What a rule makes of one youth of the cohort."""

    reason: str
    counts: bool | None
    """In the numerator or not; None: left out of the base."""
    args: dict[str, object] | None = None
    amount: float | None = None


def _members(
    snapshot: Snapshot, context: Context, judge: Callable[[Person, date, Context], _Verdict]
) -> list[Member]:
    """The cohort's youths as a rule's members, each as ``judge(person, settled_on)`` says."""
    members: list[Member] = []
    for person, settled_on in _cohort(snapshot, context):
        pid = person.participant_id
        verdict = judge(person, settled_on, context)
        if verdict.counts is None:
            member = left_out(
                "participant", pid, verdict.reason, settled_on, participant=pid, extra=verdict.args
            )
        else:
            member = in_base(
                "participant",
                pid,
                verdict.reason,
                settled_on,
                numerator=verdict.counts,
                participant=pid,
                amount=verdict.amount,
                extra=verdict.args,
            )
        members.append(member)
    return members


def _share(members: list[Member]) -> Result:
    numerator = sum(m.in_numerator for m in members)
    denominator = sum(m.in_denominator for m in members)
    return Result(share(numerator, denominator), numerator, denominator, tuple(members))


def _known(day: date | None, context: Context) -> bool:
    return day is not None and day <= context.known_on


def _stay(person: Person, context: Context) -> tuple[date | None, date | None]:
    """The shared-home stay: from moving in there to the bedsit (or the services' end)."""
    entered = person.minor_phases.get("shared_home")
    if entered is None or entered > context.known_on:
        return None, None
    ends = [
        day
        for day in (person.minor_phases.get("bedsit"), person.minor_services_ended_on)
        if day is not None and day <= context.known_on
    ]
    return entered, min(ends) if ends else None


def _shared_home_stay(person: Person, settled_on: date, context: Context) -> _Verdict:
    entered, left = _stay(person, context)
    if entered is None:
        return _Verdict("minor_never_in_shared_home", None)
    if left is None:
        return _Verdict("minor_stay_open", None, {"entered": entered})
    stay = (left - entered).days / DAYS_PER_MONTH
    months = {"entered": entered, "left": left, "months": round(stay, 1)}
    return _Verdict("minor_stay_ended", True, months, amount=stay)


def months_in_shared_home(snapshot: Snapshot, context: Context, params: StayParams) -> Result:
    members = _members(snapshot, context, _shared_home_stay)
    months = [m.amount for m in members if m.amount is not None]
    if params.statistic == "median_months":
        value = median(months)
    else:
        value = sum(months) / len(months) if months else None
    return Result(value, sum(months) if months else 0.0, len(months), tuple(members))


def _dropout(person: Person, settled_on: date, context: Context) -> _Verdict:
    dropped = person.minor_outcomes.get("school_dropout")
    if _known(dropped, context):
        return _Verdict("minor_dropped_out", True, {"on": dropped})
    return _Verdict("minor_no_dropout", False)


def _first_year_end(settled_on: date) -> date:
    try:
        return settled_on.replace(year=settled_on.year + 1)
    except ValueError:  # 29 February
        return date(settled_on.year + 1, 3, 1)


def _working_life_contact(person: Person, settled_on: date, context: Context) -> _Verdict:
    until = _first_year_end(settled_on)
    contact = person.minor_outcomes.get("working_life_contact")
    if _known(contact, context) and contact is not None and contact < until:
        return _Verdict("minor_working_life_contact", True, {"on": contact})
    if until > context.known_on:
        return _Verdict("minor_first_year_open", None, {"until": until})
    return _Verdict("minor_no_working_life_contact", False, {"until": until})


def _assistance_after_twenty(person: Person, settled_on: date, context: Context) -> _Verdict:
    born = person.birth_year
    if born is None or born + ASSISTANCE_AGE > context.known_on.year:
        return _Verdict("minor_not_twenty_yet", None, {"birth_year": born})
    aid = person.minor_outcomes.get("supplementary_social_assistance")
    if _known(aid, context):
        return _Verdict("minor_assistance_after_twenty", True, {"on": aid})
    return _Verdict("minor_no_assistance_after_twenty", False, {"birth_year": born})


_COHORT = "`participant.settled` with `unaccompanied_minor` true and `settled_on` in the period."
_SETTLED = "`settled_on` (the cohort settled in the period)."


def _cohort_share(
    key: str,
    title_en: str,
    title_nb: str,
    judge: Callable[[Person, date, Context], _Verdict],
    *,
    numerator: str,
    exclusions: str,
    denominator: str = _COHORT,
) -> Rule[Any]:
    """A rule for the share of the cohort that ``judge`` counts."""

    def compute(snapshot: Snapshot, context: Context, params: CohortParams) -> Result:
        return _share(_members(snapshot, context, judge))

    doc = RuleDoc(
        value="100 × numerator / denominator.",
        numerator=numerator,
        denominator=denominator,
        exclusions=exclusions,
        period_date=_SETTLED,
        as_of=AS_OF_EVENTS,
    )
    return Rule(key, title_en, title_nb, Unit.percent, CohortParams, doc, compute)


MINOR_MONTHS_IN_SHARED_HOME: Rule[Any] = Rule(
    "minor_months_in_shared_home",
    "Unaccompanied minors: months in the shared home",
    "Enslige mindreårige: måneder i bofellesskap",
    Unit.number,
    StayParams,
    RuleDoc(
        value="The mean (or, with `statistic`, the median) of the stays' months; a month is "
        "365.25 / 12 days. Unit: months.",
        numerator="The sum of the stays' months: from `minor.phase_entered` `shared_home` to "
        "`bedsit` (or `minor.services_ended`, whichever comes first).",
        denominator="Stays that ended by the as-of date, of the cohort: " + _COHORT,
        exclusions="Youths still in the shared home at the as-of date, and those never "
        "recorded in one.",
        period_date=_SETTLED,
        as_of=AS_OF_EVENTS,
    ),
    months_in_shared_home,
)

MINOR_SCHOOL_DROPOUT_SHARE = _cohort_share(
    "minor_school_dropout_share",
    "Unaccompanied minors who dropped out of upper secondary school",
    "Enslige mindreårige som falt ut av videregående opplæring",
    _dropout,
    numerator="Youths with `minor.outcome_recorded` `school_dropout` on or before the as-of date.",
    exclusions="None.",
)

MINOR_WORKING_LIFE_CONTACT_FIRST_YEAR = _cohort_share(
    "minor_working_life_contact_first_year",
    "Unaccompanied minors with contact with working life in their first year",
    "Enslige mindreårige med kontakt med arbeidslivet første år",
    _working_life_contact,
    numerator="Youths with `minor.outcome_recorded` `working_life_contact` dated before "
    "the first anniversary of `settled_on` (and by the as-of date).",
    exclusions="Youths whose first year is not over at the as-of date and who have no "
    "contact yet (they may still have one).",
)

MINOR_ASSISTANCE_AFTER_TWENTY_SHARE = _cohort_share(
    "minor_assistance_after_twenty_share",
    "Unaccompanied minors receiving supplementary social assistance after turning 20",
    "Enslige mindreårige med supplerende sosialhjelp etter fylte 20 år",
    _assistance_after_twenty,
    numerator="Youths with `minor.outcome_recorded` `supplementary_social_assistance` "
    "(the participants service records it only from the 20th birthday) by the as-of date.",
    denominator="The cohort (" + _COHORT + ") who are 20 in the as-of date's year "
    "(birth year + 20 ≤ that year: indicators know the birth year only).",
    exclusions="Youths not 20 by the as-of year, or with no birth year.",
)
