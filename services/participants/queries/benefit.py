"""Reading the introduction benefit back: a participant's monthly payment basis, the
municipality's basis for payroll (CSV), and absence summaries.

Every line says what it is (a label in the request's language), the rule it applies
(the section of the Act) and the table values it used. Amounts are exact until the
last step: each line is rounded once to øre (half away from zero), the month's amount
is the rounded gross less the rounded deductions plus the rounded supplement (the CSV's
columns), and a rounding line (øreavrunding) makes the lines add up to it, so the JSON
and the CSV agree to the øre.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import domain, personal_data
from services.participants import events as ev
from services.participants.domain import benefit as b
from services.participants.tables import participant_keys, participant_summary
from shared import dates
from shared.i18n import Catalog

SECTION_RATE = "integreringsloven § 20"
SECTION_ABSENCE = "integreringsloven § 21"
SECTION_PARTICIPATION = "integreringsloven § 19"
SECTION_LEAVE = "integreringsloven § 17"
UNSPECIFIED = "unspecified"


def _money(value: Decimal) -> float:
    return float(value)


def _hours(value: Fraction | float) -> float:
    return round(float(value), 2)


def _frac(value: Fraction) -> str:
    return str(value)


def _activity(code: str, locale: str, texts: Catalog) -> dict[str, str]:
    return {"code": code, "label": texts.text(f"benefit.activity.{code}", locale)}


def _line(
    code: str, amount: Fraction, locale: str, texts: Catalog, section: str, **details: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "label": texts.text(f"benefit.line.{code}", locale),
        "rule": section,
        "amount": _money(b.kroner(amount)),
        "exact_amount": _frac(amount),
        **details,
    }


def check_month(state: domain.Participant, year: int, month: int) -> None:
    days = b.month_days(year, month)
    if not b.in_programme_in(state, days):
        raise b.MONTH_OUTSIDE_PROGRAMME.violation(
            f"{year}-{month:02d} has no day in an introduction programme; there is no payment "
            "basis for it (integreringsloven § 19).",
            "month",
            year=year,
            month=month,
        )


def basis(
    state: domain.Participant,
    year: int,
    month: int,
    locale: str,
    texts: Catalog,
    today: date,
) -> dict[str, Any]:
    """The month's payment basis, every line explained (409 for a month outside the
    programme)."""
    check_month(state, year, month)
    days = b.month(state, year, month)
    lines: list[dict[str, Any]] = []
    days_in_month = calendar.monthrange(year, month)[1]
    for run in b._runs(
        days,
        lambda d: (
            (d.rate.rate_class, d.rate.g, d.rate.share, d.rate.couple_share) if d.rate else None
        ),
    ):
        rate = run[0].rate
        assert rate is not None
        divisors = b.tables()["divisors"].on(run[0].on)
        lines.append(
            _line(
                "base_rate",
                sum((d.gross for d in run), Fraction(0)),
                locale,
                texts,
                SECTION_RATE,
                from_date=run[0].on.isoformat(),
                to_date=run[-1].on.isoformat(),
                days=len(run),
                paid_leave_days=sum(1 for d in run if d.status == b.PAID_LEAVE),
                rate_class={
                    "code": rate.rate_class,
                    "label": texts.text(f"benefit.rate_class.{rate.rate_class}", locale),
                },
                couple_without_children=rate.couple_share != 1,
                values={
                    "grunnbelop": rate.g,
                    "grunnbelop_valid_from": rate.g_valid_from.isoformat(),
                    "full_rate_in_g": _frac(rate.full_g),
                    "share_of_full_rate": _frac(rate.share),
                    "couple_without_children_share": _frac(rate.couple_share),
                    "annual_rate": _frac(rate.annual),
                    "months_per_year": int(divisors["months"]),
                    "days_in_month": days_in_month,
                    "formula": "grunnbelop × full_rate_in_g × share_of_full_rate × "
                    "couple_without_children_share = annual_rate; annual_rate / "
                    "months_per_year / days_in_month × days",
                },
                sources={"grunnbelop": rate.g_source, "rate": rate.rate_source},
            )
        )
    for day in days:
        if day.rate is None:
            continue
        divisors = b.tables()["divisors"].on(day.on)
        for deduction in day.deductions:
            absence = deduction.absence
            unauthorised = absence.kind is ev.AbsenceKind.unauthorised_leave
            lines.append(
                _line(
                    "unauthorised_leave" if unauthorised else "invalid_absence",
                    -deduction.amount,
                    locale,
                    texts,
                    SECTION_ABSENCE,
                    on=day.on.isoformat(),
                    hours=_hours(absence.hours),
                    activity=_activity(absence.activity.value, locale, texts)
                    if absence.activity
                    else None,
                    capped_at_day_amount=deduction.capped,
                    values={
                        "annual_rate": _frac(day.rate.annual),
                        "grunnbelop": day.rate.g,
                        **(
                            {"day_amount": _frac(day.gross), "formula": "the whole day"}
                            if unauthorised
                            else {
                                "hour_divisor": int(divisors["hour"]),
                                "formula": "hours × annual_rate / hour_divisor, at most the "
                                "day's amount",
                            }
                        ),
                    },
                )
            )
    supplement_days = [d for d in days if d.supplements]
    children = sorted({s.child.child_id for d in supplement_days for s in d.supplements}, key=str)
    for child_id in children:

        def key(d: b.BenefitDay, child_id: uuid.UUID = child_id) -> Any:
            found = [s for s in d.supplements if s.child.child_id == child_id]
            return (found[0].age, found[0].kroner_per_year) if found else None

        for run in b._runs(days, key):
            found = [s for d in run for s in d.supplements if s.child.child_id == child_id]
            lines.append(
                _line(
                    "child_supplement",
                    sum((s.amount for s in found), Fraction(0)),
                    locale,
                    texts,
                    SECTION_RATE,
                    child_id=str(child_id),
                    from_date=run[0].on.isoformat(),
                    to_date=run[-1].on.isoformat(),
                    days=len(run),
                    child_age=found[0].age,
                    values={
                        "kroner_per_year": _frac(found[0].kroner_per_year),
                        "months_per_year": 12,
                        "days_in_month": days_in_month,
                        "formula": "kroner_per_year / months_per_year / days_in_month × days",
                    },
                    sources={"child_supplement": found[0].source},
                )
            )
    gross = sum((d.gross for d in days), Fraction(0))
    deducted = sum((d.deducted for d in days), Fraction(0))
    supplement = sum((d.supplement for d in days), Fraction(0))
    # Rounding is monotone and no day loses more than it earns, so this is never negative.
    amount = b.kroner(gross) - b.kroner(deducted) + b.kroner(supplement)
    shown = sum((Decimal(str(line["amount"])) for line in lines), Decimal(0))
    rounding = amount - shown
    lines.append(
        {
            "code": "rounding",
            "label": texts.text("benefit.line.rounding", locale),
            "rule": "each line rounded to øre, half away from zero; the amount is the rounded "
            "gross, less the rounded deductions, plus the rounded supplement",
            "amount": _money(rounding),
            "exact_amount": "0",
        }
    )
    statuses = [d.status for d in days]
    summary = absence_totals(state, days[0].on, days[-1].on, locale, texts)
    return {
        "participant_id": str(state.participant_id),
        "year": year,
        "month": month,
        "from_date": days[0].on.isoformat(),
        "to_date": days[-1].on.isoformat(),
        "preliminary": days[-1].on >= today,
        "currency": "NOK",
        "days": {
            "in_month": days_in_month,
            "paid": sum(1 for s in statuses if s in (b.PAID, b.PAID_LEAVE)),
            "in_programme": sum(1 for s in statuses if s != b.OUTSIDE),
            "paid_leave": statuses.count(b.PAID_LEAVE),
            "unpaid_leave": statuses.count(b.UNPAID_LEAVE),
            "interrupted": statuses.count(b.INTERRUPTED),
        },
        "hours_planned": summary["hours_planned"],
        "absence": summary,
        "gross": _money(b.kroner(gross)),
        "child_supplement": _money(b.kroner(supplement)),
        "deductions": _money(b.kroner(deducted)),
        "amount": _money(amount),
        "single_decision_required": _needs_decision(days, deducted, gross + supplement),
        "lines": lines,
    }


def _needs_decision(days: list[b.BenefitDay], deducted: Fraction, before: Fraction) -> bool:
    """Whether the deduction needs an enkeltvedtak (IMDi: ≥ 50 % of the payment and ≥ 1/12 G)."""
    paid = [d for d in days if d.rate is not None]
    if not paid or before == 0:
        return False
    threshold = b.tables()["single_decision_threshold"].on(paid[-1].on)
    g = paid[-1].rate.g if paid[-1].rate else 0
    return deducted / before >= b._fraction(threshold["share_of_payment"]) and (
        deducted >= g * b._fraction(threshold["fraction_of_g"])
    )


def absence_totals(
    state: domain.Participant, from_date: date, to_date: date, locale: str, texts: Catalog
) -> dict[str, Any]:
    """Absence from ``from_date`` to ``to_date`` (inclusive): valid and invalid hours and
    unauthorised leave, in all and per activity, beside the hours planned."""
    per: dict[str, dict[str, Fraction]] = {}

    def bucket(code: str) -> dict[str, Fraction]:
        return per.setdefault(
            code,
            {
                "planned": Fraction(0),
                "valid": Fraction(0),
                "invalid": Fraction(0),
                "leave_hours": Fraction(0),
                "leave_days": Fraction(0),
            },
        )

    planned_total = Fraction(0)
    for day in _programme_days(state, from_date, to_date):
        status, _ = b._status(state, day)
        if status == b.PAID:
            for kind, hours in b._planned(state, day).items():
                bucket(kind.value)["planned"] += hours
                planned_total += hours
    leave_days: set[date] = set()
    for absence in state.benefit.absences:
        if not from_date <= absence.on <= to_date:
            continue
        slot = bucket(absence.activity.value if absence.activity else UNSPECIFIED)
        hours = b._fraction(absence.hours)
        if absence.kind is ev.AbsenceKind.unauthorised_leave:
            slot["leave_hours"] += hours
            slot["leave_days"] += 1
            leave_days.add(absence.on)
        elif absence.valid_reason:
            slot["valid"] += hours
        else:
            slot["invalid"] += hours
    activities = [
        {
            "activity": _activity(code, locale, texts),
            "hours_planned": _hours(v["planned"]),
            "valid_hours": _hours(v["valid"]),
            "invalid_hours": _hours(v["invalid"]),
            "unauthorised_leave_hours": _hours(v["leave_hours"]),
            "unauthorised_leave_days": int(v["leave_days"]),
        }
        for code, v in sorted(per.items())
    ]
    return {
        "from_date": from_date.isoformat(),
        "to_date": to_date.isoformat(),
        "hours_planned": _hours(planned_total),
        "valid_hours": _hours(sum((v["valid"] for v in per.values()), Fraction(0))),
        "invalid_hours": _hours(sum((v["invalid"] for v in per.values()), Fraction(0))),
        "unauthorised_leave_hours": _hours(
            sum((v["leave_hours"] for v in per.values()), Fraction(0))
        ),
        "unauthorised_leave_days": len(leave_days),
        "per_activity": activities,
    }


def _programme_days(state: domain.Participant, from_date: date, to_date: date) -> list[date]:
    """The days from ``from_date`` to ``to_date`` an introduction programme can hold: each
    programme's span, an open one to its planned end (or today, if later)."""
    days: set[int] = set()
    for programme in state.programmes:
        if programme.kind is not ev.ProgrammeKind.introduction:
            continue
        last = programme.ended_on or max(programme.planned_end, dates.today())
        start = max(from_date, programme.starts_on).toordinal()
        end = min(to_date, last).toordinal()
        days.update(range(start, end + 1))
    return [date.fromordinal(day) for day in sorted(days)]


async def participants_in(conn: AsyncConnection, municipality: str) -> list[uuid.UUID]:
    """The municipality's participants that have had a programme, by id."""
    rows = await conn.execute(
        sa.select(participant_summary.c.participant_id)
        .where(
            participant_summary.c.municipality == municipality,
            participant_summary.c.programme_id.is_not(None),
            participant_summary.c.erased.is_(False),
        )
        .order_by(participant_summary.c.participant_id)
    )
    return [row.participant_id for row in rows]


async def personal(
    conn: AsyncConnection, participant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """National id and name of each participant (for payroll), unsealed here only."""
    if not participant_ids:
        return {}
    rows = await conn.execute(
        sa.select(
            participant_summary.c.participant_id,
            participant_summary.c.sealed_details,
            participant_keys.c.key,
        )
        .select_from(
            participant_summary.outerjoin(
                participant_keys,
                participant_keys.c.participant_id == participant_summary.c.participant_id,
            )
        )
        .where(participant_summary.c.participant_id.in_(list(participant_ids)))
    )
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        if row.key is None or row.sealed_details is None:
            continue
        found[row.participant_id] = personal_data.unseal(
            bytes(row.key), row.participant_id, row.sealed_details
        )
    return found


CSV_COLUMNS = (
    "participant_id",
    "national_id",
    "name",
    "year",
    "month",
    "paid_days",
    "hours_planned",
    "valid_absence_hours",
    "invalid_absence_hours",
    "unauthorised_leave_days",
    "gross",
    "child_supplement",
    "deductions",
    "amount",
)


def csv_header(locale: str, texts: Catalog) -> list[str]:
    return [texts.text(f"csv.benefit.{column}", locale) for column in CSV_COLUMNS]


def csv_row(month_basis: dict[str, Any], details: dict[str, Any] | None) -> list[Any]:
    name = " ".join(
        part
        for part in ((details or {}).get("given_name"), (details or {}).get("family_name"))
        if part
    )
    absence = month_basis["absence"]
    return [
        month_basis["participant_id"],
        (details or {}).get("national_id") or "",
        name,
        month_basis["year"],
        month_basis["month"],
        month_basis["days"]["paid"],
        Decimal(str(month_basis["hours_planned"])),
        Decimal(str(absence["valid_hours"])),
        Decimal(str(absence["invalid_hours"])),
        absence["unauthorised_leave_days"],
        Decimal(str(month_basis["gross"])).quantize(b.ORE),
        Decimal(str(month_basis["child_supplement"])).quantize(b.ORE),
        Decimal(str(month_basis["deductions"])).quantize(b.ORE),
        Decimal(str(month_basis["amount"])).quantize(b.ORE),
    ]
