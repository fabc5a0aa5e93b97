"""Persons settled: the count of settlements in a period."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.rules.result import Context, Result, in_base, left_out, years
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import ArrivalCategory


class SettledParams(Params):
    arrival_categories: list[ArrivalCategory] | None = Field(
        default=None, description="Count only these categories; null counts every category."
    )
    include_unaccompanied_minors: bool = True


def persons_settled(snapshot: Snapshot, context: Context, params: SettledParams) -> Result:
    members = []
    count = 0
    for person in (p for year in years(context.period) for p in snapshot.settled_in_year(year)):
        settled_on = person.settled_on
        if not context.counts(settled_on):
            continue
        pid = person.participant_id
        if (
            params.arrival_categories is not None
            and person.arrival_category not in params.arrival_categories
        ):
            members.append(
                left_out(
                    "participant",
                    pid,
                    "category_not_counted",
                    settled_on,
                    category=person.arrival_category,
                    participant=pid,
                )
            )
        elif person.unaccompanied_minor and not params.include_unaccompanied_minors:
            members.append(
                left_out(
                    "participant",
                    pid,
                    "unaccompanied_minor_not_counted",
                    settled_on,
                    participant=pid,
                )
            )
        else:
            count += 1
            members.append(
                in_base(
                    "participant",
                    pid,
                    "settled",
                    settled_on,
                    category=person.arrival_category,
                    settled=settled_on,
                    numerator=True,
                    denominator=False,
                    participant=pid,
                    household=person.household_id,
                )
            )
    return Result(float(count), float(count), None, tuple(members))


PERSONS_SETTLED: Rule[Any] = Rule(
    "persons_settled",
    "Persons settled",
    "Bosatte personer",
    Unit.number,
    SettledParams,
    RuleDoc(
        value="The number of persons settled.",
        numerator="Persons with a `participant.settled` whose `settled_on` is in the "
        "period (optionally only some arrival categories; unaccompanied minors "
        "optionally left out).",
        denominator="None (a count).",
        exclusions="Arrival categories not listed in `arrival_categories`; "
        "unaccompanied minors when `include_unaccompanied_minors` is false.",
        period_date="`settled_on`.",
        as_of=AS_OF_EVENTS,
    ),
    persons_settled,
)
