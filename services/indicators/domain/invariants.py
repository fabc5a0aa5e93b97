"""Invariants of the indicators service's plan and questions, as rules with stable codes.

Pure: no I/O, no clock. The use cases call these before appending anything, so a
refused command leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.rules import rule

GOAL_OUTSIDE_PARENT = rule(
    "goal-outside-parent",
    422,
    "Goal years outside its parent goal's years",
    service="indicators",
    description="A goal's years (from_year–to_year) lie within the years of the goal it "
    "hangs under: a yearly business-plan goal cannot outlive the economic-plan goal it "
    "serves. Revising a goal may not leave one of its children outside its new years.",
)


def check_goal_within_parent(
    key: str, from_year: int, to_year: int, parent_key: str, parent_years: tuple[int, int]
) -> None:
    """Refuse a goal whose years are not inside its parent's (``goal-outside-parent``)."""
    low, high = parent_years
    if from_year < low or to_year > high:
        fields = [
            name
            for name, outside in (("from_year", from_year < low), ("to_year", to_year > high))
            if outside
        ]
        raise GOAL_OUTSIDE_PARENT.violation(
            f"Goal {key!r} runs {from_year}–{to_year} ({', '.join(fields)}), outside its "
            f"parent goal {parent_key!r}, which runs {low}–{high}.",
            *fields,
            goal=key,
            from_year=from_year,
            to_year=to_year,
            parent_key=parent_key,
            parent_from_year=low,
            parent_to_year=high,
        )


def check_children_within(
    key: str, from_year: int, to_year: int, children: Iterable[tuple[str, int, int]]
) -> None:
    """Refuse new years for a goal that would leave a child goal outside them."""
    outside = sorted(
        (child, low, high) for child, low, high in children if low < from_year or high > to_year
    )
    if outside:
        listed = ", ".join(f"{child} ({low}–{high})" for child, low, high in outside)
        raise GOAL_OUTSIDE_PARENT.violation(
            f"Goal {key!r} would run {from_year}–{to_year}, but goals under it run outside "
            f"those years: {listed}.",
            "from_year",
            "to_year",
            goal=key,
            from_year=from_year,
            to_year=to_year,
            children=[child for child, _, _ in outside],
        )
