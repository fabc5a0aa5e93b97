"""Time from settlement to first work or education: Kaplan–Meier and a Cox model.

Who: persons settled in the chosen years, aged ``min_age``–``max_age`` in the
settlement year. The clock starts on ``settled_on``. The event is the first of:
a job starting (``matching.job.obtained``), a programme ending with a work or
education outcome (any work, including part-time; any education, including primary
school for adults), or a practice placement ending as ``turned_into_job``. Persons
without that event are *censored*, not dropped: at the as-of date, or when they left
the base if that came first — moved to another municipality, died or emigrated (the
participants events ``moved_out``, ``died``, ``emigrated``, and programme outcomes
``moved_municipality``, ``deceased``, ``emigrated`` at the programme's end). An exit
dated after the as-of date has not happened yet. A person whose exit lies before their
settlement contradicts themselves: left out and counted as a data-quality issue.
The Kaplan–Meier curve carries lifelines' pointwise 95 % confidence interval
(exponential Greenwood, the log(−log) transform).

Expected vs observed: a Cox proportional-hazards model is fitted on everyone in the
installation (every municipality) with what the participants brought — age group,
gender, arrival category, education level and Norwegian level at start — and *no*
municipality term. For each municipality the model's expected number of transitions
(sum over its people of the cumulative hazard at their own follow-up time) is set
against the observed number: O/E > 1 means faster into work or education than its
intake predicts. Expected median time comes from the average of its people's
predicted survival curves. Limits: proportional hazards is an assumption; the model
knows nothing of local labour markets, health or family situation (SSB finds only
about 15 % of the differences between municipalities explained by labour market and
participant mix); "unknown" categories are kept as their own group; small
municipalities give unstable ratios (flagged); it describes, it does not prove cause.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from services.indicators.domain.facts import Person, Snapshot, norwegian_rank
from services.indicators.domain.uncertainty import DEFAULT_UNCERTAINTY
from services.indicators.domain.vocabulary import ANY_WORK_OR_EDUCATION, EXCLUDED_FROM_BASE

MIN_SUBJECTS = 30
MIN_EVENTS = 10
SMALL_MUNICIPALITY = 20

AGE_GROUPS = ((18, 24), (25, 34), (35, 44), (45, 55))
START_WINDOW_DAYS = 92
"""Norwegian tests within this many days of settlement count as the level at start
when no programme has started."""


class ModelUnavailable(ValueError):
    """The Cox model cannot be fitted on these data; the message says why."""


@dataclass(frozen=True)
class Subject:
    participant_id: str
    municipality: str
    cohort: int
    days: float
    event: bool
    age_group: str
    gender: str
    arrival_category: str
    education: str
    norwegian: str


def first_work_or_education(person: Person, snapshot: Snapshot) -> date | None:
    settled_on = person.settled_on
    assert settled_on is not None
    dates = [job.starts_on for job in person.jobs if job.starts_on >= settled_on]
    dates += [
        p.ended_on
        for p in person.programmes.values()
        if p.ended_on is not None and p.outcome in ANY_WORK_OR_EDUCATION
    ]
    dates += [
        p.ends_on
        for p in snapshot.practice.values()
        if p.participant_id == person.participant_id
        and p.outcome == "turned_into_job"
        and p.ends_on is not None
    ]
    dates = [d for d in dates if d >= settled_on]
    return min(dates) if dates else None


def censoring_day(person: Person, known_on: date) -> date:
    """The last day the person is followed: the as-of date, or leaving the base before it."""
    exits = [known_on]
    gone = person.left_base()
    if gone is not None:
        exits.append(gone[0])
    exits += [
        p.ended_on
        for p in person.programmes.values()
        if p.ended_on is not None and p.outcome in EXCLUDED_FROM_BASE
    ]
    return min(exits)


@dataclass
class DataQuality:
    """Persons left out of a survival analysis because their facts contradict each other."""

    exit_before_settlement: int = 0

    def describe(self) -> dict[str, int]:
        return {"exit_before_settlement": self.exit_before_settlement}


def _age_group(age: int) -> str:
    for low, high in AGE_GROUPS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "other"


def _education(level: str | None) -> str:
    if level in ("none", "primary", "lower_secondary"):
        return "compulsory_or_less"
    if level in ("upper_secondary", "vocational"):
        return "upper_secondary"
    if level in ("bachelor", "master", "doctorate"):
        return "higher"
    return "unknown"


def _norwegian_at_start(person: Person) -> str:
    settled_on = person.settled_on
    assert settled_on is not None
    starts = [p.starts_on for p in person.programmes.values() if p.starts_on is not None]
    cutoff = min(starts) if starts else settled_on + timedelta(days=START_WINDOW_DAYS)
    ranks = [norwegian_rank(t.level) for t in person.tests if t.taken_on <= cutoff]
    ranks += [norwegian_rank(level) for level in person.profile_norwegian.values()]
    if not ranks:
        return "unknown"
    best = max(ranks)
    if best >= norwegian_rank("B1"):
        return "B1_or_above"
    if best == norwegian_rank("A2"):
        return "A2"
    return "below_A2"


def subjects(
    snapshots: Iterable[Snapshot],
    from_year: int,
    to_year: int,
    known_on: date,
    min_age: int = 18,
    max_age: int = 55,
    quality: DataQuality | None = None,
) -> list[Subject]:
    found = []
    for snapshot in snapshots:
        for year in range(from_year, to_year + 1):
            for person in snapshot.settled_in_year(year):
                settled_on = person.settled_on
                assert settled_on is not None
                age = person.age_in(settled_on.year)
                if age is None or not min_age <= age <= max_age or settled_on > known_on:
                    continue
                end = censoring_day(person, known_on)
                if end < settled_on:
                    if quality is not None:
                        quality.exit_before_settlement += 1
                    continue
                reached = first_work_or_education(person, snapshot)
                event = reached is not None and reached <= end
                stop = reached if event and reached is not None else end
                found.append(
                    Subject(
                        participant_id=str(person.participant_id),
                        municipality=snapshot.municipality,
                        cohort=year,
                        days=float((stop - settled_on).days),
                        event=event,
                        age_group=_age_group(age),
                        gender=person.gender if person.gender in ("female", "male") else "other",
                        arrival_category=person.arrival_category or "other",
                        education=_education(person.education_level),
                        norwegian=_norwegian_at_start(person),
                    )
                )
    return found


def kaplan_meier(items: Sequence[Subject]) -> list[dict[str, Any]]:
    """One curve per settlement-year cohort: share still without work or education."""
    from lifelines import KaplanMeierFitter

    curves = []
    for cohort in sorted({s.cohort for s in items}):
        group = [s for s in items if s.cohort == cohort]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter = KaplanMeierFitter().fit(
                [s.days for s in group], [s.event for s in group], label=str(cohort)
            )
        table = fitter.event_table
        survival = fitter.survival_function_.iloc[:, 0]
        bounds = fitter.confidence_interval_survival_function_
        lower, upper = bounds.iloc[:, 0], bounds.iloc[:, 1]
        points = [
            {
                "day": float(day),
                "survival": round(float(survival.loc[day]), 6),
                "survival_lower_95": _bound(lower.loc[day]),
                "survival_upper_95": _bound(upper.loc[day]),
                "share_in_work_or_education": round(1 - float(survival.loc[day]), 6),
                "at_risk": int(table.loc[day, "at_risk"]),
                "events": int(table.loc[day, "observed"]),
                "censored": int(table.loc[day, "censored"]),
                "uncertain": _uncertain(
                    int(table.loc[day, "at_risk"]), lower.loc[day], upper.loc[day]
                ),
            }
            for day in survival.index
        ]
        median = fitter.median_survival_time_
        curves.append(
            {
                "cohort": cohort,
                "persons": len(group),
                "events": sum(s.event for s in group),
                "censored": sum(not s.event for s in group),
                "median_days": None if math.isinf(median) else float(median),
                "points": points,
            }
        )
    return curves


def _uncertain(at_risk: int, lower: Any, upper: Any) -> bool:
    """Few people still at risk, or a band wider than the uncertainty rule allows."""
    low, high = _bound(lower), _bound(upper)
    if at_risk < DEFAULT_UNCERTAINTY.min_n:
        return True
    return low is None or high is None or high - low > DEFAULT_UNCERTAINTY.max_width


def protect_curves(curves: Sequence[dict[str, Any]], min_n: int) -> list[dict[str, Any]]:
    """The curves as they may leave the municipality (CSV, another municipality's view).

    A cohort of fewer than ``min_n`` persons is hidden whole (``suppressed``, no figures,
    no points); a shown cohort's curve stops before the first day with fewer than
    ``min_n`` still at risk (each later step would be one or two known people).
    """
    out = []
    for curve in curves:
        if curve["persons"] < min_n:
            out.append(
                {
                    "cohort": curve["cohort"],
                    "persons": None,
                    "events": None,
                    "censored": None,
                    "median_days": None,
                    "points": [],
                    "suppressed": True,
                }
            )
            continue
        points = []
        for point in curve["points"]:
            if point["at_risk"] < min_n:
                break
            points.append(point)
        out.append({**curve, "points": points, "suppressed": False})
    return out


def _bound(value: Any) -> float | None:
    """A confidence bound; lifelines gives NaN where the interval is undefined."""
    number = float(value)
    return None if math.isnan(number) else round(number, 6)


COVARIATES = ("age_group", "gender", "arrival_category", "education", "norwegian")
REFERENCE = {
    "age_group": "25-34",
    "gender": "female",
    "arrival_category": "resettlement_refugee",
    "education": "unknown",
    "norwegian": "unknown",
}


def _design(items: Sequence[Subject]) -> tuple[np.ndarray[Any, Any], list[str]]:
    columns: list[str] = []
    blocks = []
    for covariate in COVARIATES:
        values = [getattr(s, covariate) for s in items]
        for level in sorted(set(values)):
            if level == REFERENCE[covariate]:
                continue
            blocks.append(np.array([v == level for v in values], dtype=float))
            columns.append(f"{covariate}={level}")
    matrix = np.column_stack(blocks) if blocks else np.zeros((len(items), 0))
    keep = [i for i in range(matrix.shape[1]) if matrix[:, i].std() > 0]
    return matrix[:, keep], [columns[i] for i in keep]


def expected_vs_observed(items: Sequence[Subject], penalizer: float = 0.01) -> dict[str, Any]:
    """Fit the national Cox model and compare every municipality with its expectation."""
    events = sum(s.event for s in items)
    if len(items) < MIN_SUBJECTS or events < MIN_EVENTS:
        raise ModelUnavailable(
            f"too little data to fit the model: {len(items)} persons with {events} "
            f"transitions; it needs at least {MIN_SUBJECTS} persons and {MIN_EVENTS} "
            "transitions to work or education"
        )
    import pandas as pd
    from lifelines import CoxPHFitter, KaplanMeierFitter

    matrix, columns = _design(items)
    frame = pd.DataFrame(matrix, columns=columns)
    frame["days"] = [max(s.days, 0.5) for s in items]
    frame["event"] = [s.event for s in items]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = CoxPHFitter(penalizer=penalizer).fit(frame, "days", "event")
        except Exception as exc:
            raise ModelUnavailable(f"the model could not be fitted: {exc}") from exc
        partial = np.asarray(model.predict_partial_hazard(frame[columns]), dtype=float)
        baseline = model.baseline_cumulative_hazard_
    timeline = np.asarray(baseline.index, dtype=float)
    cumulative = np.asarray(baseline.iloc[:, 0], dtype=float)
    at = np.searchsorted(timeline, frame["days"].to_numpy(), side="right") - 1
    h0 = np.where(at >= 0, cumulative[np.clip(at, 0, None)], 0.0)
    expected_each = h0 * partial
    grid_idx = np.unique(np.linspace(0, len(timeline) - 1, min(len(timeline), 400)).astype(int))
    grid, grid_h0 = timeline[grid_idx], cumulative[grid_idx]
    rows = []
    for municipality in sorted({s.municipality for s in items}):
        mask = np.array([s.municipality == municipality for s in items])
        group = [s for s in items if s.municipality == municipality]
        observed = int(sum(s.event for s in group))
        expected = float(expected_each[mask].sum())
        curve = np.exp(-np.outer(partial[mask], grid_h0)).mean(axis=0)
        below = np.nonzero(curve <= 0.5)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = KaplanMeierFitter().fit([s.days for s in group], [s.event for s in group])
        observed_median = km.median_survival_time_
        rows.append(
            {
                "municipality": municipality,
                "persons": len(group),
                "observed_transitions": observed,
                "expected_transitions": round(expected, 3),
                "observed_to_expected": round(observed / expected, 3) if expected > 0 else None,
                "observed_median_days": None
                if math.isinf(observed_median)
                else float(observed_median),
                "expected_median_days": float(grid[below[0]]) if below.size else None,
                "small_sample": len(group) < SMALL_MUNICIPALITY or expected < 5,
            }
        )
    summary = model.summary
    return {
        "persons": len(items),
        "transitions": events,
        "penalizer": penalizer,
        "concordance": round(float(model.concordance_index_), 4),
        "coefficients": [
            {
                "covariate": name,
                "coefficient": round(float(summary.loc[name, "coef"]), 4),
                "hazard_ratio": round(float(summary.loc[name, "exp(coef)"]), 4),
                "p_value": round(float(summary.loc[name, "p"]), 4),
            }
            for name in columns
        ],
        "reference_groups": REFERENCE,
        "municipalities": rows,
    }
