"""The rule documentation, rendered once from the code for the API and for RULES.md.

``python -m services.indicators.docs > services/indicators/RULES.md`` regenerates the
Markdown; a test keeps the committed file equal to this output.
"""

from __future__ import annotations

import json

from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.national import SIZE_BANDS, SIZE_YEARS
from services.indicators.domain.rules import RULES
from services.indicators.domain.survival import MIN_EVENTS, MIN_SUBJECTS, SMALL_MUNICIPALITY

THRESHOLDS = """\
### Thresholds and levels

Each indicator has, per year, up to three bands — **desired** (ønsket resultat),
**acceptable**, **not approved** (ikke godkjent) — stored as numbers with explicit
ends: `lower`/`upper` (null = −∞/+∞) and `lower_inclusive`/`upper_inclusive` (required
whenever the end is a number). Rules that make every value get exactly one level:

* Bands may not overlap (a shared boundary must be inclusive in at most one band) and
  must be ordered by the indicator's direction (for higher-is-better: not approved <
  acceptable < desired); otherwise `PUT …/thresholds` answers 422 and stores nothing.
* Values are classified **unrounded**; rounding half-up to the indicator's `decimals`
  is only for display (`value_shown`). 54.96 against "50–54 / > 55" lies in the gap
  even though it is shown as 55.0: the colour never depends on the decimals shown.
* A value in no band lies in a **gap** the plan left open. With `gap_policy`
  `unclassified` (default) it gets the level `unclassified` (grey, "between
  acceptable [50, 54] and desired (55, ∞)"). With `worse_neighbour` it gets the worse
  of the two adjacent levels; beyond the outermost band it is not approved on the bad
  side and desired on the good side.
* Other levels: `no_data` (no value, e.g. an empty denominator or no registered
  value), `no_thresholds` (none set for the year, or the period is not of the
  indicator's granularity).
* A goal's traffic light is the worst classified indicator of the goal and of
  the goals under it (grey when none is classified).

The Drammen tables are stored exactly as written, gaps included. Example: "> 55 /
50–54 / < 50" becomes desired (55, ∞), acceptable [50, 54], not approved (−∞, 50) —
54.5 and 55 itself are `unclassified`. The one overlap as written, "400–450" and
"≥ 450" (long-term social-assistance receivers), is resolved in favour of the explicit
"≥": acceptable [400, 450), not approved [450, ∞).
"""

AS_OF = """\
### Any period, as of any date

Periods: a year `2025`, a quarter `2025-Q2`, a month `2025-03`, a tertial `2025-T1`
(T1 January–April, T2 May–August, T3 September–December), year to date `2025-YTD` (or
`2025-YTD-06`, `2025-YTD-06-15`; always cut at the as-of date, and the answer names the
real last day) and rolling 12 months `R12-2025-06` (July 2024 to June 2025).
`GET /indicators/series/{key}?from=2022&to=2025&period=T1` gives the same period across
years, each value with the previous year's, the change, a trend arrow and whether that is
better or worse for the indicator ([docs/mrs/periods.md](docs/mrs/periods.md)). `as_of` is a date
(end of that day, Norwegian time) or a date-time; future moments are refused (422).
Facts are read only if their source had **recorded** them by then (CloudEvent
`recordedtime`, kept on every fact row), never by when this service received them,
so the answer for a past date does not change when later events arrive. The plan
(definitions, thresholds, goals) is read as it stood at that moment too: parts first
recorded later are absent (an indicator defined later can still be asked about
directly, in its first version, flagged `configured_after_as_of`, but never with
thresholds recorded later). Domain dates after the as-of date have not happened yet (a
job starting next month, a move-out announced ahead), and time windows that end after
it are still open. Today is never complete: answers say `complete: false` while the
period reaches into today. A quarter or month scorecard counts only that quarter's or
month's facts, and shows only goals whose years overlap the period.
Two honest limits: the cut follows the *source's* clock, so an event its source recorded
before the moment but that reaches this service only later (the source or NATS was
down) does change the answer for that moment once it arrives; and an erasure
(`participant.erased`) replaces the person's pseudonymous id by an unlinkable alias in
every fact and in the inbox, so past drill-downs show the alias — the numbers stay.
"""

NATIONAL = f"""\
### The plan: versions, approval, editing in the dashboard

Every change of a goal, indicator, thresholds or the plan's settings is a new plan version.
A version is a draft (*utkast*) until a manager approves it (`POST
/indicators/plan/approve` with the version reviewed; 409 with `current_version` if the plan
has moved on, 422 when there is nothing to approve). Scorecards, levels, reports and
exports use the latest version approved by the moment asked about, so «as known on 1 March»
keeps showing the version approved by then. Managers see the draft (`?draft=true`, the
dashboard's plan page, `/dashboard?draft=1`); `GET /indicators/plan` lists the changes since
approval with who made them and when. In the dashboard (`/dashboard/plan`) managers create
and change goals, indicators (from the catalogue), thresholds per year, the suppression
threshold and comments — «Forklar avvik» on the scorecard row or indicator page ties a
comment to indicator, period and level — approve a version, and lock the council report
(`/dashboard/reports`, «Lås rapport»). Analysts read only (no edit controls; their POST is
403). The forms run the same use cases as the API, show errors in bokmål (nynorsk, English
on request) and carry a per-session CSRF token. After upgrading, a manager approves the
current plan once ([docs/mrs/plan-editing.md](docs/mrs/plan-editing.md)).

### Uncertainty and small numbers

Every computed share carries `n` and a 95 % Wilson interval (`lower`, `upper`,
`confidence`); it is marked `uncertain` below 20 people or when the interval is wider than
20 percentage points. Kaplan–Meier curves carry their confidence bands, and a point is
uncertain where few are still at risk. **Small-number suppression:** a value resting on
fewer than the plan's threshold — 5 by default; `PUT /indicators/settings` with
`{{"suppression_min_n": N}}` (manager) may ask for more, never less
(`suppression-below-floor`, 422), and the stricter of the approved and the recorded value
is in force, so raising it protects at once — never leaves the municipality. CSV exports show `:` (SSB's mark) in every figure and the
level `suppressed`; the national comparison hides and leaves unranked such entries and a
size below the threshold; an agency reading another municipality's values gets them
hidden; level events are not published for them. Inside the municipality its own roles see
the value, marked uncertain. The plan's threshold applies in every output that leaves the
municipality — CSV, XLSX/PDF reports, level events, agency views of scorecards, values,
multi-year series, breakdowns, Kaplan–Meier curves (API and dashboard CSV) and expected vs
observed — and a derived figure that would give a hidden value back is hidden with it: the
change against last year (and its trend and assessment) unless both years are shown, and in
expected vs observed the national totals when the rows not shown add up to less than their
threshold (complementary suppression). The national comparison hides each municipality's
values by that municipality's own threshold (or the caller's `min_n` when higher). The
output-by-output list and the rule:
[docs/mrs/uncertainty-and-suppression.md](docs/mrs/uncertainty-and-suppression.md).

### Reports for the council (PDF, XLSX, print-ready HTML; frozen reports)

`GET /indicators/reports/{{period}}?format=html|xlsx|pdf` (manager, analyst; own
municipality; bokmål by default, `lang` or `Accept-Language` for nynorsk labels or English)
builds the report of any period the periods module parses — a tertial `2025-T1`, a year,
year to date: the plan's goals with their lights, each indicator with its thresholds as
written, value, level (colour and name), n, trend and change against the same period last
year, comparison figures and the leaders' comments, with «kjent per» (the as-of moment) on
every page and sheet. The PDF (ReportLab, with the font it ships, so no machine font is
needed) has a cover with the municipality's name and a coat-of-arms slot, a table of
contents, page numbers, and trend arrows drawn beside their word; the same report gives the
same bytes. The XLSX has real number formats (`0.0%`, integers, a date-time), frozen panes
and A4 print settings. A report is public: values resting on fewer people than the plan's
threshold show `:` and lose level, n and change, and a footnote says so. A period in which
no goal of the plan is valid is `report-without-plan` (422)
([docs/mrs/reports.md](docs/mrs/reports.md)).

«Rapportert til bystyret»: `POST /indicators/reports/{{period}}/lock` (manager;
`reported_to`, `reported_on`, `title`, `kind`) stores the report as known at that moment —
its values, the rendered PDF, XLSX and HTML byte for byte with their SHA-256, and the
drill-down lists beside it — and never recomputes it; the same period and kind twice is
`report-already-locked` (409, with the locked report's id). `GET /indicators/reports/locked`
lists them, `GET /indicators/reports/locked/{{id}}?format=pdf|xlsx|html` downloads one
exactly as locked (its SHA-256 in `ETag`), `…/{{id}}/drilldown/{{key}}` gives a list as locked,
and `…/{{id}}/changes?format=json|html|pdf` recomputes the period now: per indicator frozen vs
now, the difference, and why (facts dated in the period but recorded after the lock, counted
by kind; plan changes after the lock). The lock event is not published and holds no person
ids; the drill-down lists are a table written in the same transaction, reached by erasure
([docs/mrs/frozen-reports.md](docs/mrs/frozen-reports.md)). `python -m bench.reports` times
the annual PDF and the national comparison over 357 municipalities
(`bench/reports_results.md`).

### Comparison figures and breakdowns

`POST /indicators/comparisons/import?layout=ssb|imdi&indicator=…&source=…` (manager or
agency) imports national, county and KOSTRA-group figures from a CSV in SSB's statbank
export layout or IMDi's per-municipality layout, all or nothing: an unknown kommunenummer,
an unreadable row, a wrong layout or a duplicate row is a 422 listing each line
(`body.line.N`), and nothing is stored. Every value and scorecard value then carries
`comparisons` (national, county, KOSTRA group) for the same indicator and period, as
known at the as-of moment. `services/indicators/data/` ships an example with real national
figures from SSB and its source; the KOSTRA group list is an example of one municipality
(the real member list was not available offline). `GET
/indicators/values/{{key}}/breakdown?period=…&by=gender|age_group|arrival_category|settlement_cohort|act_category`
splits a computed indicator (`act_category`: the participant's category under the
Integration Act valid on the period's last day, as recorded by the as-of moment); outside the municipality small cells are hidden
([docs/mrs/comparisons.md](docs/mrs/comparisons.md)).

### National comparison (agency role)

One built-in indicator for every municipality with data, computed with the
catalogue's default parameters so the figures are comparable, ranked best first by
the indicator's direction (no value last). The service folds every municipality's facts
in the background at start-up (and again every 60 s when facts moved), so the first
national comparison after a start takes about half a second instead of about 20
(`bench/reports_results.md`); a question during the fold waits for it, and one after new
facts folds fresh, so answers are never stale. Size = persons settled in the
{SIZE_YEARS} years up to the period's end; peer groups: """ + ", ".join(
    f"{name} ({low}–{high if high is not None else '…'})" for name, low, high in SIZE_BANDS
)

SURVIVAL = f"""\
### Survival curves and expected vs observed

Kaplan–Meier per settlement-year cohort of the time from settlement to the first work
or education (first job start, a programme ending in work or education, or a practice
placement turned into a job); people without it are censored at the as-of date or
when they left the base if that came first (moved to another municipality, died,
emigrated; or a programme ended with outcome moved_municipality, deceased or
emigrated). Each point carries its pointwise 95 % confidence interval
(`survival_lower_95`, `survival_upper_95`; lifelines, exponential Greenwood). Expected vs observed: a Cox proportional-hazards model (lifelines)
on every municipality's participants with age group, gender, arrival category,
education level and Norwegian level at start, without a municipality term; each
municipality's observed transitions are compared with the model's expectation (O/E).
The model needs at least {MIN_SUBJECTS} persons and {MIN_EVENTS} transitions
(otherwise 422 with the reason); municipalities with fewer than {SMALL_MUNICIPALITY}
persons or under 5 expected transitions are flagged `small_sample`.
"""


OVERVIEW = """\
## Indicators (MRS): goals, thresholds and results on live events

The indicators service (`services/indicators`, port 8004) consumes the events of
participants, housing and matching and answers, for any municipality and period,
*what the plan says and how we are doing* — as known on any date.

**Plan.** `POST /indicators/goals` (kommuneplan → økonomiplan → virksomhetsplan, owner
unit, period, indicators); `POST /indicators/definitions` (key, titles nb/en, unit,
direction, granularity, method `computed` | `manual` | `imported` with its source, rule
and parameters — or `from_catalogue`); `PUT /indicators/definitions/{key}/thresholds`
(bands per year); `POST …/comments`; `PUT …/values/{period}` (manual and imported
values). Every change is an event of the service, so the plan can be read as it stood
on any date. `veiviser seed drammen --municipality 3301` loads the Drammen example plan
(the tables in DOMAIN.md, exactly as written).

**Results.** `GET /indicators/scorecard?period=2025[&as_of=2025-03-01]`,
`GET /indicators/values/{key}?period=2025-Q2`, `…/series`, `…/drilldown` (the
pseudonymous participants or households behind the numerator and denominator, each with
the reason it is in or out; personal data stays in the participants service),
`GET /indicators/rules`, `GET /indicators/catalogue`, `GET /indicators/survival/kaplan-meier`,
`GET /indicators/survival/expected-vs-observed`, `GET /indicators/national/{key}`
(agency role). Tables export as CSV with `format=csv`.

**Events.** `indicators.indicator.level_changed.v1` {indicator_key, municipality, period,
level, previous_level, value, preliminary} on `veiviser.indicators.indicator.level_changed`.
Every applied event bumps its municipality's data version in the batch's transaction; a
background evaluator (and `POST /indicators/evaluations`) re-evaluates every indicator
period that has thresholds, as known now, from one consistent snapshot of whole applied
batches (never an intermediate state), and publishes each level (classified unrounded)
that differs from the last published one; `preliminary` is true while the period reaches
into today or rests on preliminary figures, and a preliminary level that becomes final is
published once more with `preliminary: false`. On start-up and when the date changes, every
municipality is re-evaluated (month ends pass, windows close).

**Dashboard.** `/dashboard` (scorecard with traffic lights per goal), `/dashboard/indicators/{key}`
(value, thresholds, series with the bands drawn, comments), its drill-down, and
`/dashboard/survival`; bokmål by default, `?lang=en` for English; print-friendly; CSV
links on every table. Browsers cannot send bearer headers, so sign in at
`/dashboard/login` by pasting a token (`veiviser token --role manager --municipality 3301`)
into its CSRF-protected form; the token is checked and kept in an HttpOnly,
SameSite=Strict cookie for `/dashboard`, `Secure` behind TLS
(`VEIVISER_DASHBOARD_SECURE_COOKIES` = auto | always | never). A token in an address
(`?token=`) is never accepted.

**Benchmark.** `python -m bench.indicators` (embedded PostgreSQL, 357 municipalities × 10
years of synthetic facts): scorecard warm, national recompute, raw read rates.

**Code** (`services/indicators/`): `api/` one router per resource (`settlements`,
`catalogue`, `definitions`, `thresholds`, `comments`, `manual_values`, `goals`, `values`
with the scorecard, `levels`, `national`, `survival`; `common.py` the roles, query
parameters and `plan_change`, which declares a plan change's endpoint; `schemas.py` the
response models); `commands.py` the request bodies of plan changes; `application.py` the
use cases; `domain/` pure (`periods`, `facts`, `vocabulary`, `asof`, `invariants`,
`thresholds`, `plan`, `scoring`, `survival`, `national`, `catalogue` — `vocabulary` takes
the categories of other services' events from the kit, `shared.vocabulary` and
`shared.placement_vocabulary` — and `rules/`: one
module per rule family, `rule.py` what a rule is, `result.py` what it computes,
`reasons.py` the bilingual reasons, `registry.py` the catalogue of rules in order);
`projections/` one module per read model or feed (`settlements`, `participant_facts`,
`housing_facts`, `matching_facts`, `erasure`, `plan`, `levels`; `facts.py` declares how
an event becomes a fact row, and the inbox keeps exactly the fields the row reads);
`loader.py` reads the facts and the plan as known at a moment; `queries.py` the read
side; `evaluator.py` the level evaluator; `dashboard/` the HTML pages and sign-in
(`pages`, with `charts`, `labels`, `templates`) and `exports.py` the CSV adapter;
`seed.py` the example plans; `docs.py` renders this text; `events.py`, `tables.py`,
`migrations/`.
"""


def rules_markdown() -> str:
    parts = [
        OVERVIEW,
        "### Rules\n",
        "The indicators service computes every built-in indicator from events by a "
        "parameterised rule (`GET /indicators/rules`; the same text). A municipality adopts "
        "built-in indicators into its plan and may change their parameters; manual and "
        "imported indicators (with their source named) take registered values instead. "
        "Every value can be drilled down to the pseudonymous participants or households "
        "behind it, each with the reason it is in or out; personal data stays in the "
        "participants service.\n",
    ]
    for rule in RULES.values():
        parts.append(f"#### `{rule.name}` — {rule.title_en}\n")
        module = rule.compute_fn.__module__.replace(".", "/")
        parts.append(f"*{rule.title_nb}.* Unit: {rule.unit}. Code: `{module}.py`.\n")
        parts.append(f"- **Value:** {rule.doc.value}")
        parts.append(f"- **Numerator:** {rule.doc.numerator}")
        parts.append(f"- **Denominator:** {rule.doc.denominator}")
        parts.append(f"- **Exclusions:** {rule.doc.exclusions}")
        parts.append(f"- **Date that places it in a period:** {rule.doc.period_date}")
        parts.append(f"- **As of:** {rule.doc.as_of}")
        parts.append(f"- **Parameters (defaults):** `{json.dumps(rule.defaults())}`\n")
    parts.append("#### Built-in indicators\n")
    parts.append("| key | rule | parameters | unit | better | period |")
    parts.append("|---|---|---|---|---|---|")
    for b in BUILT_INS.values():
        direction = "higher" if b.direction == "higher_is_better" else "lower"
        params = json.dumps(b.parameters) if b.parameters else "defaults"
        parts.append(
            f"| `{b.key}` | `{b.rule}` | `{params}` | {b.unit} | {direction} | {b.granularity} |"
        )
    parts.append("")
    parts.extend([THRESHOLDS, AS_OF, NATIONAL + "\n", SURVIVAL])
    return "\n".join(parts)


if __name__ == "__main__":
    print(rules_markdown(), end="")
