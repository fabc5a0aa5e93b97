"""Examples in the housing service's OpenAPI document (see :mod:`shared.examples`).

Drammen's housing office (3301): a municipal three-room flat in Tollbugata on Strømsø,
a family of four applying for it after settling in March 2024, a start loan and the
rent-to-own path later, the 2024 settlement plan (46 persons, 6 of them unaccompanied
minors, as requested by IMDi), a shared home on Bragernes and the housing school.
"""

from __future__ import annotations

from typing import Any

from shared.examples import Examples, OperationExample, example_id

_MONTH = {
    "month": 3,
    "planned_households": {"1": 20, "4": 5},
    "planned_unaccompanied_minors": 6,
    "planned_persons": 46,
    "settled_households": {"1": 4, "4": 1},
    "settled_unaccompanied_minors": 2,
    "settled_persons": 10,
}
_MEASURE = {
    "kind": "purchase",
    "rooms": 3,
    "quantity": 2,
    "decided_on": "2024-01-10",
    "lead_time_months": 4,
    "owner": "property_department",
}
_PLAN: dict[str, Any] = {
    "year": 2024,
    "request": {
        "requested_on": "2023-10-02",
        "singles": 20,
        "families": {"4": 5},
        "unaccompanied_minors": 6,
        "persons": 46,
    },
    "decision": {"decided_on": "2023-11-15", "persons": 46, "unaccompanied_minors": 6},
    "planned_on": "2023-12-01",
    "months": [_MONTH],
    "planned_persons": 46,
    "settled_persons": 10,
    "plan_matches_decision": True,
    "measures": [{"measure_id": example_id("measure_id"), "year": 2024, **_MEASURE}],
    "version": 4,
}
_SHARED_HOME: dict[str, Any] = {
    "shared_home_id": example_id("shared_home_id"),
    "version": 3,
    "district": "Bragernes",
    "registered_on": "2024-01-15",
    "places": 6,
    "occupied": 1,
    "free": 5,
    "places_history": [{"from": "2024-01-15", "places": 6}],
    "stays": [
        {
            "placement_id": example_id("placement_id"),
            "participant_id": example_id("participant_id"),
            "starts_on": "2024-03-15",
            "ends_on": None,
        }
    ],
}
_COURSE = {"id": example_id("course_id"), "version": 2}
_FOLLOW_UP = {"household_id": example_id("household_id"), "version": 3}

# What a request gives and the answer echoes: one set of facts for both.
_DWELLING = {
    "address": "Tollbugata 12",
    "district": "Strømsø",
    "rooms": 3,
    "size_m2": 69,
    "floor": 2,
    "has_lift": True,
    "ownership": "municipal",
    "valuation": 3200000,
    "registered_on": "2024-01-15",
}
_APPLICATION = {
    "household_size": 4,
    "member_ages": [38, 35, 9, 4],
    "district_wishes": ["Strømsø", "Bragernes"],
    "urgency": "normal",
    "received_on": "2024-03-04",
}
_LOAN_APPLIED = {"applied_on": "2025-09-01", "purchase_price": 3200000, "requested_amount": 3040000}
_LOAN_TERMS = {
    "decided_on": "2025-09-20",
    "loan_amount": 2900000,
    "grant_amount": 140000,
    "rate_kind": "floating",
    "interest_rate_percent": 5.2,
    "term_years": 30,
}

EXAMPLES = Examples(
    values={"year": 2024},
    schemas={
        "DwellingOut": {**_DWELLING, "status": "vacant", "status_since": "2024-01-15"},
        "ApplicationOut": {**_APPLICATION, "applied_household_size": 4, "status": "pending"},
        "LoanOut": {**_LOAN_APPLIED, "status": "approved", **_LOAN_TERMS},
        "PlacementOut": {"household_size": 4, "starts_on": "2024-04-01", "active": True},
        "AgreementOut": {"rent_period_years": 5, "price": 3200000, "status": "active"},
        "RegisterDwelling": {**_DWELLING, "standard": "normal"},
        "ChangeDwelling": {"changed_on": "2024-09-02", "standard": "high", "has_lift": True},
        "SetRentRates": {
            "valid_from": "2025-01-01",
            "fdv_per_m2_year": {"low": 420, "normal": 520, "high": 640},
            "government_bond_rate_percent": 3.6,
            "capital_markup_points": 1.0,
        },
        "ReceiveApplication": _APPLICATION,
        "DecideApplication": {"decision": "accepted", "decided_on": "2024-03-11"},
        "RecordNeeds": {"member_ages": [38, 35, 9, 4], "needs_step_free": True},
        "Withdraw": {"withdrawn_on": "2024-04-01"},
        "Allocate": {"starts_on": "2024-04-01"},
        "EndPlacement": {"ends_on": "2026-03-31", "reason": "private_rental"},
        "RecordEviction": {"evicted_on": "2025-11-15", "grounds": "rent_arrears"},
        "AgreeRentToOwn": {"agreed_on": "2024-06-01", "rent_period_years": 5, "price": 3200000},
        "CompletePurchase": {"purchased_on": "2029-06-01"},
        "ApplyStartLoan": {
            **_LOAN_APPLIED,
            "employment_income": 480000,
            "introduction_benefit": 0,
            "other_income": 0,
        },
        "DecideStartLoan": {**_LOAN_TERMS, "approved": True, "interest_only_years": 0},
        "Disburse": {"disbursed_on": "2025-10-15"},
        "StartLoanPurchase": {"purchased_on": "2025-10-15", "price": 3200000},
        "OwnershipVsRent": {
            "price": 3200000,
            "grant": 140000,
            "loan": 2900000,
            "interest_rate_percent": 5.2,
            "term_years": 30,
            "loan_type": "annuity",
            "rent_per_month": 14500,
            "owner_costs_per_year": 36000,
            "years": 10,
        },
        "SettlementRequestBody": {
            "requested_on": "2023-10-02",
            "singles": 20,
            "families": [{"size": 4, "households": 5}],
            "unaccompanied_minors": 6,
        },
        "SettlementDecisionBody": {
            "decided_on": "2023-11-15",
            "persons": 46,
            "unaccompanied_minors": 6,
        },
        "MonthlyPlanBody": {
            "planned_on": "2023-12-01",
            "months": [
                {
                    "month": 3,
                    "households": [{"size": 1, "households": 20}, {"size": 4, "households": 5}],
                    "unaccompanied_minors": 6,
                }
            ],
        },
        "MeasureBody": _MEASURE,
        "WithdrawalBody": {"withdrawn_on": "2024-05-01"},
        "RegisterSharedHome": {"district": "Bragernes", "places": 6, "registered_on": "2024-01-15"},
        "ChangePlaces": {"places": 8, "changed_on": "2024-09-02"},
        "PlaceMinor": {"starts_on": "2024-03-15"},
        "EndStay": {"ends_on": "2025-08-15"},
        "CourseBody": {"starts_on": "2024-10-01", "sessions": 6, "required_sessions": 5},
        "SessionBody": {"session": 1, "held_on": "2024-10-01"},
        "VisitBody": {"visited_on": "2024-11-05"},
        "IncidentBody": {"kind": "damage", "occurred_on": "2025-01-20"},
    },
    operations={
        "POST /housing/placements": OperationExample(
            rules={409: "dwelling-occupied", 422: "before-settlement"}
        ),
        "POST /housing/applications/{application_id}/decision": OperationExample(
            rules={409: "application-decided"}
        ),
        "POST /housing/placements/{placement_id}/end": OperationExample(
            rules={409: "placement-ended", 422: "end-reason-endpoint"}
        ),
        "POST /housing/rent-to-own": OperationExample(
            rules={409: "agreement-exists", 422: "rent-period"}
        ),
        "POST /housing/start-loans": OperationExample(
            rules={409: "loan-pending", 422: "amount-exceeds-price"}
        ),
        "POST /housing/start-loans/{loan_id}/decision": OperationExample(
            rules={409: "loan-state", 422: "loan-terms"}
        ),
        "POST /housing/settlement-plans/{year}/decision": OperationExample(
            response=_PLAN, rules={422: "decision-before-request"}
        ),
        "POST /housing/shared-homes/{shared_home_id}/placements/{placement_id}/end": (
            OperationExample(response=_SHARED_HOME, rules={409: "shared-home-stay-unknown"})
        ),
        "POST /housing/rent-to-own/{agreement_id}/purchase": OperationExample(
            response={
                "household_id": example_id("household_id"),
                "became_owner_on": "2029-06-01",
                "route": "rent_to_own",
                "dwelling_id": example_id("dwelling_id"),
                "price": 3200000,
                "agreement_id": example_id("agreement_id"),
                "loan_id": None,
            }
        ),
        "POST /housing/start-loans/{loan_id}/purchase": OperationExample(
            response={
                "household_id": example_id("household_id"),
                "became_owner_on": "2025-10-15",
                "route": "start_loan",
                "dwelling_id": None,
                "price": 3200000,
                "agreement_id": None,
                "loan_id": example_id("loan_id"),
            }
        ),
        "POST /housing/settlement-plans/{year}/request": OperationExample(response=_PLAN),
        "PUT /housing/settlement-plans/{year}/monthly-plan": OperationExample(
            response=_PLAN, rules={422: "plan-sum"}
        ),
        "POST /housing/settlement-plans/{year}/measures": OperationExample(response=_PLAN),
        "POST /housing/settlement-plans/{year}/measures/{measure_id}/withdrawal": (
            OperationExample(response=_PLAN)
        ),
        "POST /housing/shared-homes": OperationExample(response=_SHARED_HOME),
        "POST /housing/shared-homes/{shared_home_id}/places": OperationExample(
            response=_SHARED_HOME
        ),
        "POST /housing/shared-homes/{shared_home_id}/placements": OperationExample(
            response={**_SHARED_HOME, "placement_id": example_id("placement_id")}
        ),
        "POST /housing/school/courses": OperationExample(response={**_COURSE, "version": 1}),
        "POST /housing/school/courses/{course_id}/sessions": OperationExample(response=_COURSE),
        "POST /housing/school/visits": OperationExample(response=_FOLLOW_UP),
        "POST /housing/school/incidents": OperationExample(response=_FOLLOW_UP),
    },
)
