"""Small numbers that used to leave the municipality, over HTTP on real PostgreSQL and
NATS: the scorecard's change against last year seen by an agency, the dashboard's
Kaplan–Meier CSV, and (as a property) the expected-vs-observed rows and totals.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.indicators.api.survival import protect_model
from services.indicators.app import create_app
from services.indicators.domain.suppression import DEFAULT_MIN_N
from shared.settings import Settings
from tests.indicators.approval import settled_and_approved
from tests.indicators.feeder import EventFeeder, Participants
from tests.indicators.people import settle
from tests.support import auth, running

SMALL = "4601"


def _indicator(body: dict[str, Any], key: str) -> dict[str, Any]:
    shown = [v for g in body["goals"] for v in g["indicators"]] + body["ungrouped"]
    (found,) = [v for v in shown if v["indicator_key"] == key]
    return found


async def test_scorecard_change_is_hidden_from_an_agency_when_either_year_is(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        manager, agency = await settled_and_approved(
            client, feeder, settings, SMALL, {2023: 3, 2024: 8, 2025: 12}
        )

        async def card(period: str, headers: dict[str, str], **extra: str) -> dict[str, Any]:
            response = await client.get(
                "/indicators/scorecard", params={"period": period, **extra}, headers=headers
            )
            assert response.status_code == 200, response.text
            return _indicator(response.json(), "persons_settled")

        # Inside the municipality every change is shown.
        own = await card("2024", manager)
        assert (own["value"], own["against_last_year"]["previous"]) == (8, 3)
        assert own["against_last_year"]["change"] == 5

        # 8 is shown to the agency, but 8 − 5 would give last year's hidden 3 back.
        shown = await card("2024", agency, municipality=SMALL)
        assert (shown["value"], shown["suppressed"]) == (8, False)
        assert shown["against_last_year"] is None

        # This year's 3 is hidden, and so is its change against last year.
        hidden = await card("2023", agency, municipality=SMALL)
        assert (hidden["value"], hidden["suppressed"]) == (None, True)
        assert hidden["against_last_year"] is None

        # Both years shown (12 against 8): the agency sees the change.
        both = await card("2025", agency, municipality=SMALL)
        assert (both["value"], both["against_last_year"]["previous"]) == (12, 8)
        assert (both["against_last_year"]["change"], both["against_last_year"]["trend"]) == (
            4,
            "up",
        )


async def test_dashboard_survival_csv_hides_a_cohort_below_the_threshold(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        p = Participants(feeder)
        await settle(p, SMALL, 2016, 4)
        await settle(p, SMALL, 2017, 12)
        await feeder.wait_applied()
        token = auth(settings, ["manager"], SMALL)["Authorization"].removeprefix("Bearer ")
        response = await client.get(
            "/dashboard/export/survival.csv",
            params={"from_year": 2016, "to_year": 2017, "as_of": "2019-01-01"},
            headers={"Cookie": f"veiviser_token={token}"},
        )
        assert response.status_code == 200, response.text
        lines = response.text.lstrip("\ufeff").splitlines()[1:]
        cohorts = [line.split(";")[0] for line in lines]
        # Four persons: one row, every figure ":"; twelve: their curve.
        assert [line for line in lines if line.startswith("2016")] == ["2016" + ";:" * 7]
        assert cohorts.count("2017") >= 1
        assert all(":" not in line for line in lines if line.startswith("2017"))
        # The curve stops before fewer than 5 remain at risk.
        at_risk = [int(line.split(";")[5]) for line in lines if line.startswith("2017")]
        assert min(at_risk) >= DEFAULT_MIN_N


def _row(municipality: str, persons: int, transitions: int) -> dict[str, Any]:
    return {
        "municipality": municipality,
        "persons": persons,
        "observed_transitions": transitions,
        "expected_transitions": float(transitions),
        "observed_to_expected": 1.0,
        "observed_median_days": 100.0,
        "expected_median_days": 100.0,
        "small_sample": persons < 20,
    }


rows = st.lists(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda persons: st.tuples(st.just(persons), st.integers(min_value=0, max_value=persons))
    ),
    min_size=1,
    max_size=6,
)


@given(
    sizes=rows,
    raised=st.dictionaries(st.integers(0, 5), st.integers(DEFAULT_MIN_N, 12)),
    agency=st.booleans(),
    own_index=st.integers(0, 5),
)
def test_expected_vs_observed_never_gives_a_small_row_back(
    sizes: list[tuple[int, int]], raised: dict[int, int], agency: bool, own_index: int
) -> None:
    municipalities = [f"{1000 + i:04d}" for i in range(len(sizes))]
    model = {
        "persons": sum(n for n, _ in sizes),
        "transitions": sum(t for _, t in sizes),
        "municipalities": [_row(m, n, t) for m, (n, t) in zip(municipalities, sizes, strict=True)],
    }
    thresholds = {municipalities[i]: n for i, n in raised.items() if i < len(municipalities)}
    own = f"{1000 + own_index:04d}"
    out = protect_model(model, thresholds, own, agency)
    shown = [r for r in out["municipalities"] if not r["suppressed"]]
    for row in shown:
        min_n = thresholds.get(row["municipality"], DEFAULT_MIN_N)
        assert row["municipality"] == own or (
            agency and row["persons"] >= min_n and row["observed_transitions"] >= min_n
        )
    for row in out["municipalities"]:
        if row["suppressed"]:
            assert all(row[k] is None for k in row if k not in ("municipality", "suppressed"))
    if out["persons"] is not None:
        # Total minus what is shown: the rows not shown, together at or above every one's N.
        rest = [r for r in model["municipalities"] if r["municipality"] not in
                {s["municipality"] for s in shown}]  # fmt: skip
        needed = max((thresholds.get(r["municipality"], DEFAULT_MIN_N) for r in rest), default=0)
        assert out["persons"] - sum(r["persons"] for r in shown) >= needed or not rest
        assert out["transitions"] - sum(r["observed_transitions"] for r in shown) >= needed or (
            not rest
        )
    assert model["persons"] == sum(n for n, _ in sizes)  # the cached model is not changed
