"""Practice placements that turned into a job."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.rules.result import Context, Result, in_base, left_out, share, years
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import PlacementOutcome, PracticeKind


class PracticeParams(Params):
    counted_outcomes: list[PlacementOutcome] = Field(default=[PlacementOutcome.turned_into_job])
    kinds: list[PracticeKind] | None = Field(default=None, description="null counts all kinds.")


def practice_to_job_share(snapshot: Snapshot, context: Context, params: PracticeParams) -> Result:
    members = []
    numerator = denominator = 0
    for year in years(context.period):
        for practice in snapshot.practice_ended_in_year(year):
            if not context.counts(practice.ends_on):
                continue
            pid = practice.participant_id
            if params.kinds is not None and practice.kind not in params.kinds:
                members.append(
                    left_out(
                        "practice_placement",
                        practice.placement_id,
                        "kind_not_counted",
                        practice.ends_on,
                        kind=practice.kind,
                        participant=pid,
                    )
                )
                continue
            counts = practice.outcome in params.counted_outcomes
            denominator += 1
            numerator += counts
            members.append(
                in_base(
                    "practice_placement",
                    practice.placement_id,
                    "placement_counts" if counts else "placement_does_not_count",
                    practice.ends_on,
                    ended=practice.ends_on,
                    outcome=practice.outcome,
                    numerator=counts,
                    participant=pid,
                )
            )
    return Result(share(numerator, denominator), numerator, denominator, tuple(members))


PRACTICE_TO_JOB_SHARE: Rule[Any] = Rule(
    "practice_to_job_share",
    "Share of ended practice placements that turned into a job",
    "Andel avsluttede praksisplasser som ble til jobb",
    Unit.percent,
    PracticeParams,
    RuleDoc(
        value="100 × numerator / denominator.",
        numerator="Ended placements whose outcome is in `counted_outcomes` "
        "(default turned_into_job).",
        denominator="`matching.practice_placement.ended` with `ends_on` in the period.",
        exclusions="Kinds not in `kinds` (if given).",
        period_date="`ends_on`.",
        as_of=AS_OF_EVENTS,
    ),
    practice_to_job_share,
)
