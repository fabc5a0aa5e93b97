"""Cost-covering rent and the owning-vs-renting series against numbers worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.housing.domain.money import (
    LoanType,
    Purchase,
    RentRates,
    cost_covering_rent,
    ownership_vs_rent,
)

D = Decimal


def rates(fdv_normal: str = "400", bond: str = "0.931") -> RentRates:
    return RentRates(
        valid_from=date(2020, 1, 1),
        fdv_per_m2_year={"low": D("350"), "normal": D(fdv_normal), "high": D("450")},
        government_bond_rate_percent=D(bond),
        capital_markup_points=D("2"),
    )


def test_drammen_rent_is_7185_a_month() -> None:
    # FDV: 69 m² × 400 = 27,600. Capital: 2,000,000 × (0.931 + 2) % = 58,620.
    # (27,600 + 58,620) / 12 = 86,220 / 12 = 7,185.
    rent = cost_covering_rent(D("69"), "normal", 2_000_000, rates())
    assert rent.fdv_per_year == D("27600.00")
    assert rent.capital_rate_percent == D("2.931")
    assert rent.capital_per_year == D("58620.00")
    assert rent.cost_per_year == D("86220.00")
    assert rent.monthly_rent == D("7185")
    assert any("69 m² × NOK 400" in line for line in rent.explanation)


def test_rent_rounds_half_kroner_up_and_follows_the_standard() -> None:
    # 70.5 m² × 400 = 28,200; 1,000,000 × 2.931 % = 29,310; 57,510 / 12 = 4,792.50 → 4,793.
    assert cost_covering_rent(D("70.5"), "normal", 1_000_000, rates()).monthly_rent == D("4793")
    # High standard: 70.5 × 450 = 31,725; + 29,310 = 61,035; / 12 = 5,086.25 → 5,086.
    assert cost_covering_rent(D("70.5"), "high", 1_000_000, rates()).monthly_rent == D("5086")


DRAMMEN = Purchase(
    price=D(2_000_000),
    grant=D(740_000),
    loan=D(1_260_000),
    interest_rate_percent=D("3"),
    term_years=30,
    interest_only_years=0,
    loan_type=LoanType.serial,
    owner_costs_per_year=D(69 * 400),
    rent_per_month=D(7_185),
)


def test_serial_loan_series_for_the_drammen_purchase() -> None:
    rows = ownership_vs_rent(DRAMMEN)
    assert len(rows) == 15
    # Monthly rate r = 0.03 / 12 = 0.0025; instalment 1,260,000 / 360 = 3,500 a month.
    # Year 1 interest = r × Σ balances = 0.0025 × (12 × 1,260,000 − 3,500 × (0+1+…+11))
    #                 = 0.0025 × (15,120,000 − 231,000) = 37,222.50
    first = rows[0]
    assert first.interest == D("37222.50")
    assert first.instalment == D("42000.00")
    assert first.owner_costs == D("27600.00")
    assert first.tax_deduction == D("8188.95")  # 22 % of 37,222.50 = 8,188.95
    # 37,222.50 + 42,000 + 27,600 − 8,188.95 = 98,633.55
    assert first.owner_net_cash_cost == D("98633.55")
    assert first.owner_cost_excluding_instalment == D("56633.55")
    assert first.rent == D("86220.00")  # 7,185 × 12
    assert first.difference == D("-12413.55")  # 86,220 − 98,633.55
    assert first.debt_at_year_end == D("1218000.00")
    assert first.grant_remaining == D("703000.00")  # 740,000 × 19/20
    # Each year the interest falls by 0.0025 × 12 × 42,000 = 1,260.
    last = rows[14]
    assert last.interest == D("19582.50")  # 37,222.50 − 14 × 1,260
    assert last.tax_deduction == D("4308.15")
    assert last.owner_net_cash_cost == D("84874.35")  # 19,582.50 + 42,000 + 27,600 − 4,308.15
    assert last.difference == D("1345.65")
    assert last.debt_at_year_end == D("630000.00")  # 1,260,000 − 15 × 42,000
    assert last.grant_remaining == D("185000.00")  # 740,000 × 5/20
    # Σ interest = 15 × 37,222.50 − 1,260 × (0+1+…+14) = 558,337.50 − 132,300
    assert sum(row.interest for row in rows) == D("426037.50")


def test_annuity_loan_matches_the_closed_form() -> None:
    rows = ownership_vs_rent(
        Purchase(**{**DRAMMEN.__dict__, "loan_type": LoanType.annuity})  # type: ignore[arg-type]
    )
    loan, r, n = 1_260_000.0, 0.03 / 12, 360
    payment = loan * r / (1 - (1 + r) ** -n)  # ≈ 5,312.21 a month
    growth = ((1 + r) ** 12 - 1) / r  # Σ (1+r)^k, k = 0..11
    # Year 1 interest = r × Σ balances, balance_k = L(1+r)^k − P((1+r)^k − 1)/r
    interest = r * loan * growth - payment * (growth - 12)
    assert float(rows[0].interest) == pytest.approx(interest, abs=0.01)
    assert float(rows[0].interest + rows[0].instalment) == pytest.approx(12 * payment, abs=0.01)
    assert float(rows[0].debt_at_year_end) == pytest.approx(
        loan - (12 * payment - interest), abs=0.01
    )
    assert round(payment, 2) == 5312.21


def test_interest_only_years_then_serial_repayment() -> None:
    rows = ownership_vs_rent(Purchase(**{**DRAMMEN.__dict__, "interest_only_years": 5}))  # type: ignore[arg-type]
    # Years 1–5: 1,260,000 × 3 % = 37,800 interest, nothing repaid.
    assert [row.interest for row in rows[:5]] == [D("37800.00")] * 5
    assert [row.instalment for row in rows[:5]] == [D("0.00")] * 5
    # Year 6: 300 months left, 4,200 a month; interest 0.0025 × (12 × 1,260,000 − 4,200 × 66)
    assert rows[5].instalment == D("50400.00")
    assert rows[5].interest == D("37107.00")


def test_rent_growth_compounds_yearly() -> None:
    rows = ownership_vs_rent(Purchase(**{**DRAMMEN.__dict__, "rent_growth_percent": D("2")}))  # type: ignore[arg-type]
    assert rows[1].rent == D("87944.40")  # 86,220 × 1.02
    assert rows[2].rent == D("89703.29")  # 86,220 × 1.02² = 89,703.288
