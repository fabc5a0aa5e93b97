"""Dashboard labels in bokmål (default) and English, and number formatting."""

from __future__ import annotations

from typing import Any

LABELS: dict[str, dict[str, str]] = {
    "title": {"nb": "Mål- og resultatstyring", "en": "Goal and result management"},
    "scorecard": {"nb": "Målkort", "en": "Scorecard"},
    "survival": {"nb": "Tid til arbeid eller utdanning", "en": "Time to work or education"},
    "period": {"nb": "Periode", "en": "Period"},
    "as_of": {"nb": "Kjent per", "en": "As known on"},
    "now": {"nb": "i dag", "en": "today"},
    "show": {"nb": "Vis", "en": "Show"},
    "goal": {"nb": "Mål", "en": "Goal"},
    "owner": {"nb": "Ansvarlig", "en": "Owner"},
    "indicator": {"nb": "Indikator", "en": "Indicator"},
    "value": {"nb": "Verdi", "en": "Value"},
    "level": {"nb": "Nivå", "en": "Level"},
    "thresholds": {"nb": "Terskler", "en": "Thresholds"},
    "series": {"nb": "Utvikling", "en": "Trend"},
    "comments": {"nb": "Kommentarer", "en": "Comments"},
    "no_comments": {"nb": "Ingen kommentarer.", "en": "No comments."},
    "drilldown": {"nb": "Hvem står bak tallet", "en": "Who is behind the number"},
    "numerator": {"nb": "Teller", "en": "Numerator"},
    "denominator": {"nb": "Nevner", "en": "Denominator"},
    "in_numerator": {"nb": "Med i telleren", "en": "In the numerator"},
    "denominator_only": {"nb": "Bare i nevneren", "en": "In the denominator only"},
    "left_out": {"nb": "Holdt utenfor", "en": "Left out"},
    "reason": {"nb": "Begrunnelse", "en": "Reason"},
    "date": {"nb": "Dato", "en": "Date"},
    "id": {"nb": "Pseudonym id", "en": "Pseudonymous id"},
    "subject": {"nb": "Enhet", "en": "Unit"},
    "csv": {"nb": "Last ned CSV", "en": "Download CSV"},
    "rule": {"nb": "Beregningsregel", "en": "Rule"},
    "method": {"nb": "Målemetode", "en": "Measurement method"},
    "source": {"nb": "Kilde", "en": "Source"},
    "preliminary": {"nb": "foreløpig", "en": "preliminary"},
    "incomplete": {"nb": "perioden er ikke avsluttet", "en": "period not yet ended"},
    "ungrouped": {"nb": "Indikatorer uten mål", "en": "Indicators without a goal"},
    "personal_data": {
        "nb": "Her vises bare pseudonyme id-er. Personopplysninger ligger i deltakertjenesten.",
        "en": "Only pseudonymous ids are shown. Personal data lives in the participants service.",
    },
    "cohort": {"nb": "Bosettingsår", "en": "Settlement year"},
    "persons": {"nb": "Personer", "en": "Persons"},
    "events": {"nb": "I arbeid/utdanning", "en": "In work/education"},
    "censored": {"nb": "Sensurert", "en": "Censored"},
    "median_days": {"nb": "Median dager", "en": "Median days"},
    "days": {"nb": "Dager etter bosetting", "en": "Days after settlement"},
    "share": {"nb": "Andel i arbeid eller utdanning", "en": "Share in work or education"},
    "expected_vs_observed": {"nb": "Forventet mot observert", "en": "Expected vs observed"},
    "municipality": {"nb": "Kommune", "en": "Municipality"},
    "observed": {"nb": "Observert", "en": "Observed"},
    "expected": {"nb": "Forventet", "en": "Expected"},
    "ratio": {"nb": "O/F", "en": "O/E"},
    "small_sample": {"nb": "lite utvalg", "en": "small sample"},
    "model_unavailable": {"nb": "Modellen kan ikke beregnes", "en": "The model cannot be fitted"},
    "login": {"nb": "Logg inn", "en": "Sign in"},
    "token": {"nb": "Tilgangsnøkkel (bearer-token)", "en": "Access token (bearer token)"},
    "csrf_failed": {
        "nb": "Skjemaet var utløpt eller kom ikke herfra. Prøv igjen.",
        "en": "The form had expired or did not come from here. Try again.",
    },
    "token_in_address": {
        "nb": "En tilgangsnøkkel hører ikke hjemme i adressen. Lim den inn her.",
        "en": "An access token does not belong in the address. Paste it here instead.",
    },
    "logout": {"nb": "Logg ut", "en": "Sign out"},
    "language": {"nb": "English", "en": "Norsk"},
    "print": {"nb": "Skriv ut", "en": "Print"},
    "back": {"nb": "Tilbake til målkortet", "en": "Back to the scorecard"},
    "error": {"nb": "Noe er galt med forespørselen", "en": "Something is wrong with the request"},
    "forbidden": {"nb": "Ingen tilgang", "en": "Not allowed"},
    "configured_later": {
        "nb": "definert etter datoen; vist i første versjon",
        "en": "defined after the date; shown in its first version",
    },
    "kommuneplan": {"nb": "Kommuneplan", "en": "Municipal master plan"},
    "okonomiplan": {"nb": "Økonomiplan", "en": "Economic plan"},
    "virksomhetsplan": {"nb": "Virksomhetsplan", "en": "Business plan"},
    "desired": {"nb": "Ønsket resultat", "en": "Desired result"},
    "acceptable": {"nb": "Akseptabelt", "en": "Acceptable"},
    "not_approved": {"nb": "Ikke godkjent", "en": "Not approved"},
    "unclassified": {"nb": "Uklassifisert (hull i planen)", "en": "Unclassified (gap in the plan)"},
    "no_thresholds": {"nb": "Ingen terskler", "en": "No thresholds"},
    "no_data": {"nb": "Ingen data", "en": "No data"},
    "computed": {"nb": "Beregnet fra hendelser", "en": "Computed from events"},
    "manual": {"nb": "Manuell registrering", "en": "Manual registration"},
    "imported": {"nb": "Importert", "en": "Imported"},
    "participant": {"nb": "deltaker", "en": "participant"},
    "household": {"nb": "husstand", "en": "household"},
    "programme": {"nb": "program", "en": "programme"},
    "practice_placement": {"nb": "praksisplass", "en": "practice placement"},
    "higher_is_better": {"nb": "høyere er bedre", "en": "higher is better"},
    "lower_is_better": {"nb": "lavere er bedre", "en": "lower is better"},
}

UNITS = {
    "percent": {"nb": "%", "en": "%"},
    "count": {"nb": "", "en": ""},
    "days": {"nb": "dager", "en": "days"},
    "nok": {"nb": "kr", "en": "NOK"},
}

LEVEL_COLOURS = {
    "desired": "#1b7f3b",
    "acceptable": "#f2b705",
    "not_approved": "#c0392b",
    "unclassified": "#8e8e8e",
    "no_thresholds": "#d5d5d5",
    "no_data": "#ffffff",
}
"""Traffic-light colours per level (also used for threshold bands in charts)."""


def label(key: str, lang: str) -> str:
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry["nb"])


def number(value: Any, lang: str, decimals: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang == "nb":
        text = text.replace(",", " ").replace(".", ",")
    return text


def with_unit(value: Any, unit: str, lang: str, decimals: int = 1) -> str:
    if value is None:
        return "–"
    suffix = UNITS.get(unit, {}).get(lang, "")
    return f"{number(value, lang, decimals)} {suffix}".strip()
