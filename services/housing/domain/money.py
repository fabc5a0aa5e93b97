"""Money: cost-covering rent and a household's economy owning vs renting. Pure; no I/O.

Everything is computed in :class:`~decimal.Decimal` at full precision and rounded
once, at the end, to øre (two decimals, half up) — or for the monthly rent to whole
kroner, as rents are invoiced.

Cost-covering rent (kostnadsdekkende husleie)
---------------------------------------------
Set by size and standard, never by district::

    FDV per year      = size_m2 × FDV rate for the dwelling's standard (NOK/m²/year)
    capital rate      = government-bond rate + capital markup (2 percentage points)
    capital per year  = valuation × capital rate
    monthly rent      = (FDV per year + capital per year) / 12, rounded to whole kroner

Drammen: 69 m² at NOK 400/m²/year gives FDV NOK 27,600 a year; with a valuation of
NOK 2,000,000 and a bond rate of 0.931 % the capital cost is 2,000,000 × 2.931 % =
NOK 58,620, and the rent (27,600 + 58,620) / 12 = NOK 7,185 a month.

Owning vs renting over the years (default 15)
---------------------------------------------
Purchase: ``price = grant + loan + own funds``. The loan is repaid monthly: first
``interest_only_years`` of interest only, then over the rest of the term either as an
annuity (equal payments) or serially (equal instalments). With monthly rate
``r = annual rate / 12`` and ``n`` months left after the interest-only period::

    interest in a month   = balance at the start of the month × r
    annuity payment       = L × r / (1 − (1 + r)^−n)        (L / n when r = 0)
    serial instalment     = L / n

Per year:

* owner: interest, instalment (principal repaid), owner costs (FDV/common costs,
  growing by ``owner_cost_growth_percent`` a year), tax deduction on interest
  (``interest_deduction_percent``, 22 % in Norway) as income, and
  ``net cash cost = interest + instalment + owner costs − tax deduction``; also the
  cost without the instalment (which is saving, not spending), the debt at the end
  of the year and the grant not yet written down (Husbanken's grant is written down
  linearly over ``grant_write_down_years``; repayable if sold before then).
* renter: ``rent per year = monthly rent × 12 × (1 + rent_growth)^(year − 1)``.
* ``difference = rent per year − owner's net cash cost``: positive when owning
  costs the household less cash that year than renting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

OERE = Decimal("0.01")
KRONE = Decimal("1")
HUNDRED = Decimal(100)
TWELVE = Decimal(12)


def dec(value: float | int | str | Decimal) -> Decimal:
    """An exact decimal from a JSON number (``0.931`` becomes ``Decimal('0.931')``)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def oere(value: Decimal) -> Decimal:
    return value.quantize(OERE, rounding=ROUND_HALF_UP)


def kroner(value: Decimal) -> Decimal:
    return value.quantize(KRONE, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """``Decimal('2.000')`` as ``'2'``, ``Decimal('0.9310')`` as ``'0.931'`` (for explanations)."""
    return format(value.normalize(), "f")


# -- cost-covering rent --------------------------------------------------------------------


@dataclass(frozen=True)
class RentRates:
    valid_from: date
    fdv_per_m2_year: dict[str, Decimal]
    government_bond_rate_percent: Decimal
    capital_markup_points: Decimal


@dataclass(frozen=True)
class Rent:
    fdv_rate: Decimal
    fdv_per_year: Decimal
    capital_rate_percent: Decimal
    capital_per_year: Decimal
    cost_per_year: Decimal
    exact_monthly: Decimal
    monthly_rent: Decimal
    explanation: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fdv_per_m2_year": float(self.fdv_rate),
            "fdv_per_year": float(self.fdv_per_year),
            "capital_rate_percent": float(self.capital_rate_percent),
            "capital_cost_per_year": float(self.capital_per_year),
            "cost_per_year": float(self.cost_per_year),
            "monthly_rent": int(self.monthly_rent),
            "explanation": self.explanation,
        }


def cost_covering_rent(size_m2: Decimal, standard: str, valuation: int, rates: RentRates) -> Rent:
    """Monthly cost-covering rent of a dwelling (formula in the module docstring)."""
    fdv_rate = rates.fdv_per_m2_year[standard]
    fdv_year = oere(size_m2 * fdv_rate)
    capital_rate = rates.government_bond_rate_percent + rates.capital_markup_points
    capital_year = oere(Decimal(valuation) * capital_rate / HUNDRED)
    total = fdv_year + capital_year
    exact_month = total / TWELVE
    monthly = kroner(exact_month)
    explanation = [
        f"FDV: {plain(size_m2)} m² × NOK {plain(fdv_rate)}/m²/year ({standard} standard) = "
        f"NOK {fdv_year:,.2f} a year",
        f"Capital: valuation NOK {valuation:,} × ({plain(rates.government_bond_rate_percent)} % "
        f"government-bond rate + {plain(rates.capital_markup_points)} points = "
        f"{plain(capital_rate)} %) = "
        f"NOK {capital_year:,.2f} a year",
        f"Rent: (NOK {fdv_year:,.2f} + NOK {capital_year:,.2f}) / 12 = "
        f"NOK {oere(exact_month):,.2f} a month, rounded to NOK {monthly:,.0f}",
        f"Rates in force from {rates.valid_from.isoformat()}; rent depends on size and "
        "standard, not on district",
    ]
    return Rent(
        fdv_rate, fdv_year, capital_rate, capital_year, total, exact_month, monthly, explanation
    )


# -- owning vs renting ------------------------------------------------------------------------


class LoanType(StrEnum):
    annuity = "annuity"
    serial = "serial"


@dataclass(frozen=True)
class Purchase:
    price: Decimal
    grant: Decimal
    loan: Decimal
    interest_rate_percent: Decimal
    term_years: int
    interest_only_years: int
    loan_type: LoanType
    owner_costs_per_year: Decimal
    rent_per_month: Decimal
    years: int = 15
    rent_growth_percent: Decimal = Decimal(0)
    owner_cost_growth_percent: Decimal = Decimal(0)
    interest_deduction_percent: Decimal = Decimal(22)
    grant_write_down_years: int = 20


@dataclass(frozen=True)
class YearRow:
    year: int
    interest: Decimal
    instalment: Decimal
    owner_costs: Decimal
    tax_deduction: Decimal
    owner_net_cash_cost: Decimal
    owner_cost_excluding_instalment: Decimal
    debt_at_year_end: Decimal
    grant_remaining: Decimal
    rent: Decimal
    difference: Decimal


def _monthly_schedule(p: Purchase) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(interest, principal, balance after) for each month of the horizon."""
    r = p.interest_rate_percent / HUNDRED / TWELVE
    months = p.years * 12
    io_months = p.interest_only_years * 12
    n = max(p.term_years * 12 - io_months, 0)
    balance = p.loan
    rows = []
    payment: Decimal | None = None
    instalment = p.loan / n if n else Decimal(0)
    for month in range(1, months + 1):
        if balance <= 0 or month > p.term_years * 12:
            rows.append((Decimal(0), Decimal(0), Decimal(0)))
            continue
        interest = balance * r
        if month <= io_months:
            principal = Decimal(0)
        elif p.loan_type is LoanType.serial:
            principal = min(instalment, balance)
        else:
            if payment is None:
                payment = balance / n if r == 0 else balance * r / (1 - (1 + r) ** -n)
            principal = min(payment - interest, balance)
        balance -= principal
        if month == p.term_years * 12:
            principal += balance
            balance = Decimal(0)
        rows.append((interest, principal, balance))
    return rows


def ownership_vs_rent(p: Purchase) -> list[YearRow]:
    """The yearly series (formulas in the module docstring), rounded to øre."""
    schedule = _monthly_schedule(p)
    rows = []
    deduction = p.interest_deduction_percent / HUNDRED
    for year in range(1, p.years + 1):
        months = schedule[(year - 1) * 12 : year * 12]
        interest = oere(sum((m[0] for m in months), Decimal(0)))
        instalment = oere(sum((m[1] for m in months), Decimal(0)))
        debt = oere(months[-1][2])
        owner_costs = oere(
            p.owner_costs_per_year * (1 + p.owner_cost_growth_percent / HUNDRED) ** (year - 1)
        )
        tax = oere(interest * deduction)
        net = interest + instalment + owner_costs - tax
        rent = oere(p.rent_per_month * TWELVE * (1 + p.rent_growth_percent / HUNDRED) ** (year - 1))
        written_down = min(Decimal(year) / Decimal(p.grant_write_down_years), Decimal(1))
        rows.append(
            YearRow(
                year=year,
                interest=interest,
                instalment=instalment,
                owner_costs=owner_costs,
                tax_deduction=tax,
                owner_net_cash_cost=net,
                owner_cost_excluding_instalment=interest + owner_costs - tax,
                debt_at_year_end=debt,
                grant_remaining=oere(p.grant * (1 - written_down)),
                rent=rent,
                difference=rent - net,
            )
        )
    return rows


def annuity_payment(loan: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Monthly annuity payment (exact), for summaries."""
    r = annual_rate_percent / HUNDRED / TWELVE
    if months <= 0:
        return Decimal(0)
    return loan / months if r == 0 else loan * r / (1 - (1 + r) ** -months)
