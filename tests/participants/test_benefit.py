"""The introduction benefit over HTTP: a golden participant computed by hand, the CSV for
payroll, absence summaries and the rules that refuse contradicting facts."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import httpx

from shared.settings import Settings
from tests.participants.conftest import database_text, person
from tests.support import auth


def ore(value: Fraction) -> Decimal:
    """Kroner rounded to øre, half up (every amount here is positive)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


async def _post(client: httpx.AsyncClient, headers: dict[str, str], path: str, body: Any) -> Any:
    answer = await client.post(path, headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _in_programme(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    details: dict[str, Any],
    settlement: dict[str, str],
    starts_on: str,
    adviser: str,
) -> str:
    """The id of a person registered with ``details``, settled, and in the introduction
    programme from ``starts_on`` with ``adviser``."""
    created = await _post(client, headers, "/participants", details)
    pid = str(created["id"])
    await _post(client, headers, f"/participants/{pid}/settlement", settlement)
    programme = {"kind": "introduction", "starts_on": starts_on, "adviser": adviser}
    await _post(client, headers, f"/participants/{pid}/programme", programme)
    return pid


async def _golden(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    """Born 1991-06-14 (full rate), in the programme from Monday 16 March 2026, 37.5 h a week:
    Norwegian 20 h and language practice 17.5 h; the id and the national id."""
    details = person(date(1991, 6, 14))
    settled = {"settled_on": "2026-02-02", "arrival_category": "resettlement_refugee"}
    pid = await _in_programme(client, headers, details, settled, "2026-03-16", "adviser-1")
    plan = {
        "valid_from": "2026-03-16",
        "end_goal": "work",
        "activities": [
            {"kind": "norwegian_training", "hours_per_week": 20, "starts_on": "2026-03-16"},
            {"kind": "language_practice", "hours_per_week": 17.5, "starts_on": "2026-03-16"},
        ],
    }
    planned = await client.put(f"/participants/{pid}/plan", headers=headers, json=plan)
    assert planned.status_code == 201, planned.text
    absences = f"/participants/{pid}/absences"
    # April: 3 h invalid absence from Norwegian training.
    await _post(
        client,
        headers,
        absences,
        {"on": "2026-04-08", "hours": 3, "valid_reason": False, "activity": "norwegian_training"},
    )
    # May: 4 h absence with a valid reason (illness) from language practice.
    await _post(
        client,
        headers,
        absences,
        {"on": "2026-05-12", "hours": 4, "valid_reason": True, "activity": "language_practice"},
    )
    # June: a whole day of unauthorised leave, and a child supported from 1 June.
    await _post(
        client,
        headers,
        absences,
        {"on": "2026-06-10", "hours": 7.5, "valid_reason": False, "kind": "unauthorised_leave"},
    )
    await _post(
        client,
        headers,
        f"/participants/{pid}/benefit/children",
        {"child_id": str(CHILD), "born_on": "2020-02-10", "supported_from": "2026-06-01"},
    )
    return pid, details["national_id"]


CHILD = uuid.UUID("00000000-0000-4000-8000-00000000c411")

# G is 130 160 kr until 30 April 2026 and 136 549 kr from 1 May 2026 (NAV); the full rate
# is 2 G a year (integreringsloven § 20), a month 1/12 of it, shared by its calendar days.
ANNUAL_BEFORE_MAY = 2 * 130_160  # 260 320 kr
ANNUAL_FROM_MAY = 2 * 136_549  # 273 098 kr

# March 2026: the programme starts on the 16th, so 16 of March's 31 days count.
MARCH = ore(Fraction(ANNUAL_BEFORE_MAY, 12 * 31) * 16)  # 260 320 / 12 / 31 × 16 = 11 196.56
# April: the whole month (1/12), less 3 invalid hours at 1/1 850 of the annual rate each.
APRIL_GROSS = ore(Fraction(ANNUAL_BEFORE_MAY, 12))  # 21 693.33
APRIL_DEDUCTION = ore(Fraction(3 * ANNUAL_BEFORE_MAY, 1850))  # 780 960 / 1 850 = 422.14
APRIL = APRIL_GROSS - APRIL_DEDUCTION  # 21 271.19
# May: the new G; the valid absence costs nothing.
MAY = ore(Fraction(ANNUAL_FROM_MAY, 12))  # 273 098 / 12 = 22 758.17
# June: less one whole day of unauthorised leave (a 30-day month), plus the child
# supplement for a 6-year-old: 9 620 kr a year from the table (to be verified), 1/12 of it.
JUNE_GROSS = ore(Fraction(ANNUAL_FROM_MAY, 12))  # 22 758.17
JUNE_LEAVE = ore(Fraction(ANNUAL_FROM_MAY, 12 * 30))  # 273 098 / 360 = 758.61
JUNE_CHILD = ore(Fraction(9_620, 12))  # 801.67
JUNE = JUNE_GROSS - JUNE_LEAVE + JUNE_CHILD  # 22 801.23


async def test_golden_participant_month_by_month_over_http_and_csv(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = auth(settings, ["caseworker"], "3301")
    pid, national_id = await _golden(client, headers)
    assert (MARCH, APRIL, MAY, JUNE) == (
        Decimal("11196.56"),
        Decimal("21271.19"),
        Decimal("22758.17"),
        Decimal("22801.23"),
    )

    async def month(number: int) -> Any:
        answer = await client.get(f"/participants/{pid}/benefit/2026/{number}", headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    march = await month(3)
    assert march["amount"] == float(MARCH)
    assert march["days"]["paid"] == 16 and march["days"]["in_month"] == 31
    # 12 weekdays from the 16th, 7.5 h each.
    assert march["hours_planned"] == 90
    (base,) = [line for line in march["lines"] if line["code"] == "base_rate"]
    assert base["label"] == "Introduksjonsstønad"
    assert base["rule"] == "integreringsloven § 20"
    assert base["values"]["grunnbelop"] == 130_160
    assert base["values"]["annual_rate"] == "260320"
    assert (base["from_date"], base["to_date"], base["days"]) == ("2026-03-16", "2026-03-31", 16)

    april = await month(4)
    assert (april["gross"], april["deductions"], april["amount"]) == (
        float(APRIL_GROSS),
        float(APRIL_DEDUCTION),
        float(APRIL),
    )
    assert april["absence"]["invalid_hours"] == 3
    (deduction,) = [line for line in april["lines"] if line["code"] == "invalid_absence"]
    assert deduction["amount"] == -float(APRIL_DEDUCTION)
    assert deduction["activity"]["code"] == "norwegian_training"
    assert deduction["values"]["hour_divisor"] == 1850
    per_activity = {a["activity"]["code"]: a for a in april["absence"]["per_activity"]}
    assert per_activity["norwegian_training"]["invalid_hours"] == 3
    assert per_activity["norwegian_training"]["hours_planned"] == 22 * 4

    may = await month(5)
    assert may["amount"] == float(MAY)
    assert may["deductions"] == 0
    assert may["absence"]["valid_hours"] == 4
    (base,) = [line for line in may["lines"] if line["code"] == "base_rate"]
    assert base["values"]["grunnbelop"] == 136_549
    assert base["values"]["grunnbelop_valid_from"] == "2026-05-01"

    june = await month(6)
    assert june["amount"] == float(JUNE)
    assert june["child_supplement"] == float(JUNE_CHILD)
    assert june["absence"]["unauthorised_leave_days"] == 1
    codes = [line["code"] for line in june["lines"]]
    assert codes == ["base_rate", "unauthorised_leave", "child_supplement", "rounding"]
    assert sum(Decimal(str(line["amount"])) for line in june["lines"]) == JUNE

    english = await client.get(
        f"/participants/{pid}/benefit/2026/6", headers={**headers, "Accept-Language": "en"}
    )
    assert english.json()["lines"][0]["label"] == "Introduction benefit"

    # The municipality's basis for payroll: one row per participant, Norwegian headers,
    # Norwegian Excel's dialect (';', decimal comma), the same amounts to the øre.
    for number, expected in ((3, MARCH), (4, APRIL), (5, MAY), (6, JUNE)):
        export = await client.get(f"/benefit/2026/{number}.csv", headers=headers)
        assert export.status_code == 200, export.text
        assert export.headers["content-type"].startswith("text/csv")
        text = export.content.decode("utf-8").removeprefix("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
        (row,) = [r for r in rows if r["deltaker_id"] == pid]
        assert row["utbetales_kr"] == f"{expected}".replace(".", ",")
        assert row["fødselsnummer"] == national_id
        assert row["måned"] == str(number)
    negotiated = await client.get("/benefit/2026/6", headers={**headers, "Accept": "text/csv"})
    assert negotiated.headers["content-type"].startswith("text/csv")
    assert "22801,23" in negotiated.text
    listed = (await client.get("/benefit/2026/6", headers=headers)).json()
    assert listed["count"] == 1 and listed["totals"]["amount"] == float(JUNE)

    summary = await client.get(
        f"/participants/{pid}/absence-summary",
        params={"from": "2026-03-16", "to": "2026-06-30"},
        headers=headers,
    )
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["valid_hours"], body["invalid_hours"], body["unauthorised_leave_days"]) == (
        4,
        3,
        1,
    )
    by_activity = {a["activity"]["code"]: a for a in body["per_activity"]}
    assert by_activity["language_practice"]["valid_hours"] == 4
    assert by_activity["unspecified"]["unauthorised_leave_hours"] == 7.5

    outside = await client.get(f"/participants/{pid}/benefit/2026/2", headers=headers)
    assert outside.status_code == 409
    assert outside.json()["code"] == "benefit-month-outside-programme"
    rates = (await client.get("/benefit/rates", headers=headers)).json()
    assert rates["grunnbelop"]["entries"][-1]["valid_from"] == "2026-05-01"
    assert all(entry["source"] for table in rates.values() for entry in table["entries"])


async def test_a_childs_birth_date_is_stored_sealed(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Only the participant's key opens it, so an erasure leaves it unreadable."""
    headers = auth(settings, ["caseworker"], "3301")
    pid, _ = await _golden(client, headers)
    june = (await client.get(f"/participants/{pid}/benefit/2026/6", headers=headers)).json()
    assert june["child_supplement"] > 0
    assert "2020-02-10" not in await database_text(settings)


async def test_benefit_facts_that_contradict_the_rules_are_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = auth(settings, ["caseworker"], "3301")
    pid, _ = await _golden(client, headers)

    async def refused(path: str, body: Any, status: int, code: str) -> Any:
        answer = await client.post(f"/participants/{pid}{path}", headers=headers, json=body)
        assert answer.status_code == status, answer.text
        problem = answer.json()
        assert problem["code"] == code
        return problem

    child = {"child_id": str(uuid.uuid4()), "born_on": "2007-01-05", "supported_from": "2026-04-01"}
    problem = await refused("/benefit/children", child, 422, "child-over-age")
    assert problem["facts"]["age"] == 19 and "§ 20" in problem["detail_en"]
    early = {**child, "born_on": "2019-01-05", "supported_from": "2026-01-05"}
    problem = await refused("/benefit/children", early, 422, "benefit-outside-programme")
    assert problem["errors"][0]["field"] == "supported_from"
    again = {"child_id": str(CHILD), "born_on": "2020-02-10", "supported_from": "2026-06-01"}
    await refused("/benefit/children", again, 409, "child-already-recorded")
    await refused(
        "/benefit/child-endings",
        {"child_id": str(uuid.uuid4()), "supported_until": "2026-07-01"},
        409,
        "child-not-recorded",
    )
    await refused(
        "/benefit/living-situation",
        {"from_date": "2026-04-01", "lives_with_parent": True},
        422,
        "young-rate-age",
    )
    await refused(
        "/benefit/leave-decisions",
        {"leave_from": "2026-04-01", "with_benefit": True, "ground": "care_leave"},
        409,
        "no-such-leave",
    )
    await refused(
        "/absences",
        {"on": "2026-04-09", "hours": 7.5, "valid_reason": True, "kind": "unauthorised_leave"},
        422,
        "unauthorised-leave-with-valid-reason",
    )
    await refused(
        "/absences",
        {"on": "2026-04-09", "hours": 2, "valid_reason": False, "activity": "social_studies"},
        422,
        "absence-activity-not-planned",
    )
    bad_period = await client.get(
        f"/participants/{pid}/absence-summary",
        params={"from": "2026-05-01", "to": "2026-04-01"},
        headers=headers,
    )
    assert bad_period.status_code == 422
    assert bad_period.json()["code"] == "date-order"
    # Another municipality's caseworker gets the same 404 as for an unknown id.
    foreign = auth(settings, ["caseworker"], "4601")
    for path, body in (
        ("/benefit/children", again),
        ("/benefit/child-endings", {"child_id": str(CHILD), "supported_until": "2026-07-01"}),
        ("/benefit/living-situation", {"from_date": "2026-04-01", "lives_with_parent": False}),
        ("/benefit/couple-situation", {"from_date": "2026-04-01", "partner_in_programme": True}),
        (
            "/benefit/leave-decisions",
            {"leave_from": "2026-04-01", "with_benefit": False, "ground": "other"},
        ),
    ):
        for target in (pid, str(uuid.uuid4())):
            answer = await client.post(f"/participants/{target}{path}", headers=foreign, json=body)
            assert answer.status_code == 404, (path, answer.text)
    hidden = await client.get(f"/participants/{pid}/benefit/2026/6", headers=foreign)
    assert hidden.status_code == 404
    # Nothing above changed the benefit.
    june = (await client.get(f"/participants/{pid}/benefit/2026/6", headers=headers)).json()
    assert june["amount"] == float(JUNE)


async def test_leave_is_paid_only_by_decision_and_a_young_participant_gets_the_young_rate(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = auth(settings, ["caseworker"], "3301")
    details = person(date(2003, 9, 1))
    settled = {"settled_on": "2025-08-01", "arrival_category": "asylum_reception"}
    pid = await _in_programme(client, headers, details, settled, "2025-09-01", "adviser-2")
    # October 2025: 22 years old, living alone: 2/3 of 2 G = 4/3 × 130 160 a year.
    october = (await client.get(f"/participants/{pid}/benefit/2025/10", headers=headers)).json()
    assert october["amount"] == float(ore(Fraction(4 * 130_160, 3 * 12)))  # 14 462.22
    # From 1 November living with a parent: 1/3 of 2 G = 2/3 × 130 160 a year.
    await _post(
        client,
        headers,
        f"/participants/{pid}/benefit/living-situation",
        {"from_date": "2025-11-01", "lives_with_parent": True},
    )
    november = (await client.get(f"/participants/{pid}/benefit/2025/11", headers=headers)).json()
    assert november["amount"] == float(ore(Fraction(2 * 130_160, 3 * 12)))  # 7 231.11
    assert november["lines"][0]["rate_class"]["code"] == "young_with_parent"
    # A leave from 1 to 11 December (resumes on the 11th): 10 unpaid days until decided.
    await _post(
        client,
        headers,
        f"/participants/{pid}/programme/interruption",
        {"kind": "leave", "from_date": "2025-12-01", "to_date": "2025-12-11"},
    )
    unpaid = (await client.get(f"/participants/{pid}/benefit/2025/12", headers=headers)).json()
    assert unpaid["days"]["unpaid_leave"] == 10 and unpaid["days"]["paid"] == 21
    month_rate = Fraction(2 * 130_160, 3 * 12)
    assert unpaid["amount"] == float(ore(month_rate * Fraction(21, 31)))  # 4 897.85
    await _post(
        client,
        headers,
        f"/participants/{pid}/benefit/leave-decisions",
        {"leave_from": "2025-12-01", "with_benefit": True, "ground": "care_leave"},
    )
    paid = (await client.get(f"/participants/{pid}/benefit/2025/12", headers=headers)).json()
    assert paid["days"]["paid_leave"] == 10 and paid["amount"] == float(ore(month_rate))
