"""Every built-in indicator on a hand-built cohort, checked to the decimal (real PG + NATS).

The cohort (tests/indicators/cohort.py) is published as CloudEvents onto the source
services' JetStream streams; the indicators service consumes them like in production.
Each expected value below is worked out by hand from the cohort.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.indicators.seed import CATALOGUE_KEYS
from shared.settings import Settings
from tests.indicators import cohort
from tests.indicators.feeder import seeded
from tests.support import auth

MANAGER = ["manager"]

# (indicator, period): (value, value_shown, numerator, denominator)
EXPECTED: dict[tuple[str, str], tuple[float | None, float | None, float | None, float | None]] = {
    # P1–P7, P9, P10 settled in 2016 in 3301 (P7, an unaccompanied minor, counts by default).
    # P8 settled 2015-12-31 and X1 settled in 0301: not counted. → 9
    ("persons_settled", "2016"): (9.0, 9.0, 9.0, None),
    # Introduction programmes ended in 2016: C1 work_full_time ✓, C2 education_higher ✓,
    # C3 work_part_time ✗, C4 nav_measure ✗, C6 interrupted/other ✗ (interrupted stay in
    # the base), C7 no outcome ✗, C8 work_and_education ✓. Out: C5 moved_municipality
    # (excluded outcome), C9 qualification programme (other kind), C10 ended 2015.
    # 3 / 7 = 42.857… → 42.9
    ("exit_work_or_education", "2016"): (300 / 7, 42.9, 3.0, 7.0),
    # Same base; only work_full_time and work_and_education count: C1, C8. 2 / 7 → 28.6
    ("exit_work", "2016"): (200 / 7, 28.6, 2.0, 7.0),
    # Status for November 2016 (programmes D1–D5 ended 2015), latest recorded by now:
    # R1 employed (final) ✓, R2 education (prelim.) replaced by unemployed (final) ✗,
    # R3 employed_and_education (preliminary) ✓, R4 other_unknown ✗. R5 has no status yet
    # (out). 2 / 4 = 50.0, preliminary because of R3.
    ("follow_up_work_or_education", "2016"): (50.0, 50.0, 2.0, 4.0),
    # Best oral result in 2016: P1 A2 (after A1) ✓, P2 A1 ✗, P3 B1 ✓, P4 below_A1 ✗.
    # P5 only wrote the written test; Q1's oral test was in 2015. 2 / 4 = 50.0
    ("norwegian_oral_a2", "2016"): (50.0, 50.0, 2.0, 4.0),
    # Cohort aged 18–55 in 2016: P1 (30), P2 (26), P3 (46), P4 (21), P9 (36), P10 (31);
    # P5 (56), P6 and P7 (16) are out. Days to start: P1 30, P2 121, P3 30, P10 46 (started
    # 2017-01-16); P4, P9 never started. Median of 30, 30, 46, 121 = 38.0
    ("settlement_to_start_median_days", "2016"): (38.0, 38.0, None, 4.0),
    # Within 3 calendar months: P1 ✓ (by 04-10), P2 ✗ (121 days, deadline 06-01), P3 ✓,
    # P9 ✗ (no start by 2017-02-20), P10 ✓ (by 2017-03-01); P4 moved out 2016-10-15 before
    # starting (out). 3 / 5 = 60.0
    ("programme_start_within_3_months", "2016"): (60.0, 60.0, 3.0, 5.0),
    # First job on/after settlement: P1 2016-08-07 (210 days), P3 2017-05-15 (365 days);
    # P9's job started before his settlement and does not count. Median = 287.5
    ("settlement_to_first_job_median_days", "2016"): (287.5, 287.5, None, 2.0),
    # Reference day 2016-12-31. Active: P1 (plan rev. 2 from 09-01: 37.5 h ✓), P2 (rev. 1
    # 37.5 h ✓; rev. 2 of 20 h is valid only from 2017), P3 (25 h ✗), S2 (no plan ✗).
    # Out: S1 on leave since 11-01, S3 moved out 10-01, C1–C9 ended, P10 not started.
    # 2 / 4 = 50.0
    ("full_time_plans", "2016-Q4"): (50.0, 50.0, 2.0, 4.0),
    # 2016-03-31: W1 (accepted, placed only 04-15) ✓, W2 rejected 03-10 ✗, W3 received on
    # the 31st ✓ → 2 households, one month end.
    ("households_waiting", "2016-03"): (2.0, 2.0, 2.0, 1.0),
    # Q1: Jan 31 W1 (W4 was placed on Jan 31 itself) = 1; Feb 29 W1, W2 = 2;
    # Mar 31 W1, W3 = 2. (1 + 2 + 2) / 3 = 1.666… → 1.7
    ("households_waiting", "2016-Q1"): (5 / 3, 1.7, 5.0, 3.0),
    # E1 (04-01) and E2 (10-10); HH4's eviction was in 2015. → 2
    ("evictions", "2016"): (2.0, 2.0, 2.0, None),
    # HH3 rent_to_own 03-01, O2 start_loan 06-01, O3 start_loan 12-31; O4 is 2017. → 3
    ("households_became_owners", "2016"): (3.0, 3.0, 3.0, None),
    # Deadlines (settlement + 27 months) in 2016: HH1 left 2015-06-30 (private rental) ✓;
    # HH2 still placed ✗; HH3 became owner 2016-03-01, before its deadline 2016-08-01 ✓;
    # HH4 left through eviction ✗ (in the base, not counted); HH7 left 2016-07-01, after
    # its deadline 2016-05-01 ✗. Out: HH5 moved municipality, HH6 never placed. 2 / 5 = 40.0
    ("left_municipal_housing_27_months", "2016"): (40.0, 40.0, 2.0, 5.0),
    # Housed some day of 2016: HH2, HH3 (still placed), HH7 (left 07-01), E1, E2, W1 (from
    # 04-15), W4 (from 01-31); HH1, HH4, HH5 left in 2015, HH6 was never placed. No one took
    # the housing school: all 7 are not_completed, with E1's and E2's evictions. 2 / 7 → 28.6
    ("housing_school_incidents_completed", "2016"): (None, None, 0.0, 0.0),
    ("housing_school_incidents_not_completed", "2016"): (200 / 7, 28.6, 2.0, 7.0),
    # Practice placements ended in 2016: PR1 and PR4 turned into a job ✓, PR2 completed ✗,
    # PR3 broke off ✗; PR5 ended in 2017. 2 / 4 = 50.0
    ("practice_to_job", "2016"): (50.0, 50.0, 2.0, 4.0),
    # P7 is the one unaccompanied minor settled in 2016, with no minors' facts: never in a
    # shared home (out); in the base of the cohort rules, counted by none. Born 2000, 20 by
    # the as-of year. tests/indicators/test_minors.py checks these rules on a real cohort.
    ("minor_months_in_shared_home", "2016"): (None, None, 0.0, 0.0),
    ("minor_school_dropout", "2016"): (0.0, 0.0, 0.0, 1.0),
    ("minor_working_life_contact_first_year", "2016"): (0.0, 0.0, 0.0, 1.0),
    ("minor_assistance_after_twenty", "2016"): (0.0, 0.0, 0.0, 1.0),
}


async def _value(client: httpx.AsyncClient, headers: dict[str, str], key: str, period: str,
                 as_of: str | None = None) -> dict[str, Any]:  # fmt: skip
    params = {"period": period} | ({"as_of": as_of} if as_of else {})
    response = await client.get(f"/indicators/values/{key}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_built_in_indicator_is_computed_to_the_decimal(settings: Settings) -> None:
    headers = auth(settings, MANAGER, "3301")
    async with seeded(settings) as (client, feeder):
        built = await cohort.build(feeder)
        await feeder.wait_applied()
        await _adopt_built_ins_outside_the_plan(client, headers)

        wrong = []
        for (key, period), (value, shown, numerator, denominator) in EXPECTED.items():
            got = await _value(client, headers, key, period)
            actual = (got["value"], got["value_shown"], got["numerator"], got["denominator"])
            if (
                (value is None) != (got["value"] is None)
                or (value is not None and got["value"] != pytest.approx(value, abs=1e-9))
                or actual[1:] != (shown, numerator, denominator)
            ):
                wrong.append(f"{key} {period}: expected {(value, shown, numerator, denominator)}, "
                             f"got {actual}")  # fmt: skip
        assert not wrong, "\n".join(wrong)
        assert {k for k, _ in EXPECTED} == set(_built_in_keys()), "every built-in is checked"

        follow_up = await _value(client, headers, "follow_up_work_or_education", "2016")
        assert follow_up["preliminary"] is True
        assert follow_up["breakdown"] == {"preliminary": 1, "final": 3}
        owners = await _value(client, headers, "households_became_owners", "2016")
        assert owners["breakdown"] == {"rent_to_own": 1.0, "start_loan": 2.0}

        # Levels of the economic plan's thresholds: 42.9 < 50 and 28.6 < 66.1.
        exit_we = await _value(client, headers, "exit_work_or_education", "2016")
        assert exit_we["level"] == "not_approved"
        assert exit_we["thresholds"]["bands"][0]["as_written"] == "> 55"

        # The drill-down names every unit and why.
        drill = await client.get(
            "/indicators/values/exit_work_or_education/drilldown",
            params={"period": "2016"},
            headers=headers,
        )
        assert drill.status_code == 200, drill.text
        members = {m["id"]: m for m in drill.json()["members"]}
        programmes = built.programmes
        assert members[str(programmes["C1"])]["reason_code"] == "outcome_counts"
        assert members[str(programmes["C1"])]["participant_id"] == str(built.people["Q1"])
        assert members[str(programmes["C5"])]["reason_code"] == "outcome_excluded"
        assert members[str(programmes["C5"])]["in_denominator"] is False
        assert members[str(programmes["C7"])]["reason_code"] == "no_outcome_recorded"
        assert members[str(programmes["C7"])]["reason_nb"].startswith("utfall ikke registrert")
        assert members[str(programmes["C9"])]["reason_code"] == "programme_kind_not_counted"
        assert str(programmes["C10"]) not in members
        assert (
            members[str(programmes["C1"])]["participant_url"]
            == f"/participants/{built.people['Q1']}"
        )
        counts = drill.json()
        assert (counts["in_numerator"], counts["in_denominator_only"], counts["left_out"]) == (
            3,
            4,
            2,
        )

        housing = await client.get(
            "/indicators/values/left_municipal_housing_27_months/drilldown",
            params={"period": "2016"},
            headers=auth(settings, ["analyst"], "3301"),
        )
        reasons = {m["household_id"]: m["reason_code"] for m in housing.json()["members"]}
        hh = built.households
        assert reasons == {
            str(hh["HH1"]): "left",
            str(hh["HH2"]): "still_in_municipal_housing",
            str(hh["HH3"]): "left",
            str(hh["HH4"]): "left_through_eviction",
            str(hh["HH5"]): "left_excluded_reason",
            str(hh["HH6"]): "never_in_municipal_housing",
            str(hh["HH7"]): "still_in_municipal_housing",
        }
        assert all(m["participant_url"] is None for m in housing.json()["members"])

        follow_members = (
            await client.get(
                "/indicators/values/follow_up_work_or_education/drilldown",
                params={"period": "2016", "format": "csv", "lang": "en"},
                headers=headers,
            )
        ).text
        assert "no_follow_up_status_yet" in follow_members
        assert str(built.people["R5"]) in follow_members


def _built_in_keys() -> list[str]:
    from services.indicators.domain.catalogue import BUILT_INS

    return list(BUILT_INS)


async def _adopt_built_ins_outside_the_plan(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """The unaccompanied minors' built-ins are not in Drammen's seeded plan: adopt them."""
    for key in sorted(set(_built_in_keys()) - set(CATALOGUE_KEYS)):
        adopted = await client.post(
            "/indicators/definitions", json={"key": key, "from_catalogue": key}, headers=headers
        )
        assert adopted.status_code == 201, adopted.text


async def test_as_of_answers_do_not_change_when_later_events_arrive(settings: Settings) -> None:
    headers = auth(settings, MANAGER, "3301")
    async with seeded(settings) as (client, feeder):
        built = await cohort.build(feeder)
        await feeder.wait_applied()
        await _adopt_built_ins_outside_the_plan(client, headers)

        # As known on 2016-12-31: R2's preliminary "education" had not yet been replaced
        # (the final status came 2017-02-01) and R1's final status was not recorded yet:
        # base R2, R3, R4 → R2 ✓, R3 ✓ = 2 / 3.
        early = await _value(client, headers, "follow_up_work_or_education", "2016", "2016-12-31")
        assert (early["value_shown"], early["numerator"], early["denominator"]) == (66.7, 2, 3)
        assert early["preliminary"] is True
        # As known on 2017-01-31 the 3-month windows of P9 (to 2017-02-20) and P10 (to
        # 2017-03-01, though he started 2017-01-16) are still open, so both are out;
        # P1 ✓, P2 ✗, P3 ✓ → 2 / 3 = 66.7 (today: 60.0).
        window = await _value(
            client, headers, "programme_start_within_3_months", "2016", "2017-01-31"
        )
        assert (window["value_shown"], window["numerator"], window["denominator"]) == (66.7, 2, 3)
        before = {
            key: await _value(client, headers, key, period, "2017-01-31")
            for key, period in EXPECTED
        }

        # Later events, recorded now, that change 2016's figures: a late settlement dated
        # 2016, a new final status, another eviction in 2016.
        from tests.indicators.feeder import Housing, Participants

        p = Participants(feeder)
        late = cohort.ids("late")["late"]
        await p.registered(late, 1991, "male", on=_today())
        await p.settled(late, _date(2016, 6, 1), recorded=_today())
        await p.follow_up(built.people["R4"], built.programmes["D4"], 2016, "employed",
                          preliminary=False, recorded=_today())  # fmt: skip
        housing = Housing(feeder)
        await housing.evicted(cohort.ids("x")["x"], cohort.ids("y")["y"], _date(2016, 5, 5),
                              recorded=_today())  # fmt: skip
        await feeder.wait_applied()

        after = {
            key: await _value(client, headers, key, period, "2017-01-31")
            for key, period in EXPECTED
        }
        assert after == before
        now_settled = await _value(client, headers, "persons_settled", "2016")
        assert now_settled["value"] == 10.0
        now_follow_up = await _value(client, headers, "follow_up_work_or_education", "2016")
        assert now_follow_up["numerator"] == 3.0
        assert (await _value(client, headers, "evictions", "2016"))["value"] == 3.0

        # By design the as-of cut is the *source's* recorded time: an event its source
        # recorded back in 2016 but that reaches us only now (a service that was down)
        # does change what is reported as known on 2017-01-31.
        await housing.evicted(cohort.ids("x")["x"], cohort.ids("y")["y"], _date(2016, 5, 6))
        await feeder.wait_applied()
        assert (await _value(client, headers, "evictions", "2016", "2017-01-31"))["value"] == 3.0


def _today() -> Any:
    from shared.events import utcnow

    return utcnow().date()


def _date(year: int, month: int, day: int) -> Any:
    from datetime import date

    return date(year, month, day)
