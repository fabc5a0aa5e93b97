"""Why a unit is in or out of a value, in English and bokmål, by reason code."""

from __future__ import annotations

FIGURE_NB = {"preliminary": "foreløpig", "final": "endelig"}
PAUSE_NB = {"leave": "permisjon", "interruption": "avbrudd"}
EXIT_NB = {"moved_out": "flyttet", "died": "død", "emigrated": "utvandret"}

REASONS: dict[str, tuple[str, str]] = {
    "settled": ("settled on {settled} ({category})", "bosatt {settled} ({category})"),
    "category_not_counted": (
        "arrival category {category} is not counted",
        "ankomstkategori {category} telles ikke",
    ),
    "unaccompanied_minor_not_counted": (
        "unaccompanied minor, not counted",
        "enslig mindreårig, telles ikke",
    ),
    "programme_kind_not_counted": (
        "programme kind {kind} is not counted",
        "programtype {kind} telles ikke",
    ),
    "outcome_excluded": (
        "outcome {outcome} is excluded from the base",
        "utfall {outcome} holdes utenfor grunnlaget",
    ),
    "interrupted_excluded": (
        "interrupted programmes are not in the base",
        "avbrutte program er ikke med i grunnlaget",
    ),
    "outcome_counts": ("outcome {outcome} counts", "utfall {outcome} teller"),
    "outcome_does_not_count": ("outcome {outcome} does not count", "utfall {outcome} teller ikke"),
    "no_outcome_recorded": (
        "no outcome recorded: in the base, not counted",
        "utfall ikke registrert: med i grunnlaget, teller ikke",
    ),
    "status_counts": (
        "November {year}: {status} ({figure})",
        "november {year}: {status} ({figure_nb})",
    ),
    "status_does_not_count": (
        "November {year}: {status} ({figure}) does not count",
        "november {year}: {status} ({figure_nb}) teller ikke",
    ),
    "no_follow_up_status_yet": (
        "left the programme on {ended}; no status for November {year} recorded yet",
        "avsluttet {ended}; status for november {year} er ikke registrert ennå",
    ),
    "passed": (
        "best {sub_test} result in the period {level} ≥ {min_level}",
        "beste resultat ({sub_test}) i perioden {level} ≥ {min_level}",
    ),
    "not_passed": (
        "best {sub_test} result in the period {level} < {min_level}",
        "beste resultat ({sub_test}) i perioden {level} < {min_level}",
    ),
    "birth_year_unknown": ("birth year unknown", "fødselsår ukjent"),
    "outside_age_range": (
        "age {age} at settlement, outside {min}–{max}",
        "alder {age} ved bosetting, utenfor {min}–{max}",
    ),
    "start_before_settlement": (
        "programme start {start} is before the settlement {settled}",
        "programstart {start} er før bosettingen {settled}",
    ),
    "not_started_yet": ("no programme start yet", "ikke startet i program ennå"),
    "left_base": (
        "left the base on {on} ({how})",
        "gikk ut av grunnlaget {on} ({how_nb})",
    ),
    "placement_before_settlement": (
        "data error: placement {start} is before the settlement {settled}",
        "datafeil: tildeling {start} er før bosettingen {settled}",
    ),
    "left_before_settlement": (
        "data error: left municipal housing {left}, before the settlement {settled}",
        "datafeil: flyttet ut av kommunal bolig {left}, før bosettingen {settled}",
    ),
    "started": ("started {days} days after settlement", "startet {days} dager etter bosetting"),
    "moved_out_before_deadline": (
        "moved out on {moved} before starting",
        "flyttet ut {moved} før start",
    ),
    "window_open": (
        "the {months}-month window runs to {deadline}",
        "fristen på {months} måneder løper til {deadline}",
    ),
    "started_within": (
        "started {days} days after settlement (deadline {deadline})",
        "startet {days} dager etter bosetting (frist {deadline})",
    ),
    "not_started_within": (
        "no start by {deadline}",
        "ingen start innen {deadline}",
    ),
    "no_job_yet": ("no job recorded yet", "ingen jobb registrert ennå"),
    "first_job": (
        "first job {days} days after settlement",
        "første jobb {days} dager etter bosetting",
    ),
    "not_started": ("not started on the reference day", "ikke startet på referansedagen"),
    "ended": ("ended on {ended}", "avsluttet {ended}"),
    "moved_out": ("moved out on {moved}", "flyttet ut {moved}"),
    "paused": ("{kind} since {since}", "{kind_nb} fra {since}"),
    "no_plan": ("no plan recorded: not full time", "ingen plan registrert: ikke fulltid"),
    "full_time": (
        "plan revision {revision}: {hours} h/week ≥ {limit}",
        "planrevisjon {revision}: {hours} t/uke ≥ {limit}",
    ),
    "part_time": (
        "plan revision {revision}: {hours} h/week < {limit}",
        "planrevisjon {revision}: {hours} t/uke < {limit}",
    ),
    "waiting": (
        "waiting at {count} of {total} month ends",
        "ventet ved {count} av {total} månedsslutt",
    ),
    "evicted": ("evicted on {evicted} ({grounds})", "utkastet {evicted} ({grounds})"),
    "route_not_counted": ("route {route} is not counted", "ordning {route} telles ikke"),
    "became_owner": ("became owner on {on_date} via {route}", "ble eier {on_date} via {route}"),
    "never_in_municipal_housing": (
        "no municipal placement by {deadline}",
        "ingen kommunal bolig innen {deadline}",
    ),
    "left_excluded_reason": (
        "placement ended on {left}: {how}; excluded",
        "leieforholdet sluttet {left}: {how}; holdes utenfor",
    ),
    "still_in_municipal_housing": (
        "still in municipal housing on {deadline}",
        "bodde fortsatt i kommunal bolig {deadline}",
    ),
    "left_through_eviction": (
        "left through eviction on {left}: not counted",
        "flyttet ut ved utkastelse {left}: teller ikke",
    ),
    "left": (
        "left on {left} ({how}) after {months} months",
        "flyttet ut {left} ({how}) etter {months} måneder",
    ),
    "kind_not_counted": ("placement kind {kind} is not counted", "praksistype {kind} telles ikke"),
    "placement_counts": ("ended {ended}: {outcome}", "avsluttet {ended}: {outcome}"),
    "placement_does_not_count": (
        "ended {ended}: {outcome} (does not count)",
        "avsluttet {ended}: {outcome} (teller ikke)",
    ),
}
