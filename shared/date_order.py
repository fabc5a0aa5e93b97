"""The refusals of a date on the wrong side of the fact it must follow (or precede).

A decision checks each date it is given against the timeline it belongs to: a complaint
is not lodged before its decision, a programme's end not before its start. Each check
words its refusal alike, so a client reads the same sentence and the same facts (the
date given and the date it had to follow) whichever rule it is.
"""

from __future__ import annotations

from datetime import date

from shared.rules import Rule


def _refused(
    rule: Rule, field: str, day: date, side: str, what: str, bound: date, facts: tuple[str, str]
) -> None:
    raise rule.violation(
        f"{field} {day.isoformat()} is {side} {what} ({bound.isoformat()}).",
        field,
        **{facts[0]: day, facts[1]: bound},
    )


def refuse_before(
    rule: Rule,
    field: str,
    day: date,
    what: str,
    bound: date,
    bound_fact: str,
    *,
    day_fact: str | None = None,
) -> None:
    """Raise ``rule`` when ``day`` (the request's ``field``) is before ``bound``, the
    date of ``what`` it follows: "``field`` <day> is before ``what`` (<bound>).", naming
    ``field``, with the facts ``day_fact`` (``field`` when not given) and ``bound_fact``.
    The same day is not before."""
    if day < bound:
        _refused(rule, field, day, "before", what, bound, (day_fact or field, bound_fact))


def refuse_after(
    rule: Rule, field: str, day: date, what: str, bound: date, bound_fact: str
) -> None:
    """Raise ``rule`` when ``day`` (the request's ``field``) is after ``bound``, the date
    of ``what`` it precedes: "``field`` <day> is after ``what`` (<bound>).", with the
    facts ``field`` and ``bound_fact``. The same day is not after."""
    if day > bound:
        _refused(rule, field, day, "after", what, bound, (field, bound_fact))
