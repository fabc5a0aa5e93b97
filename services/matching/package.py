"""The package an employer gets with a proposed match (JSON and printable HTML).

Employers fear "the unknown": the package says what they get — the participant's
consented competence profile, the work-life basics that are documented (and those
that are not), the follow-up plan with mentor and job coach, and the financing
schemes to discuss. It holds only what the participant consented to share.

It is in Norwegian (bokmål) by default and in English or nynorsk on request: every
text comes from the matching service's ``package`` catalog, and every code (the
opening's kind, the fit's band and parts, the financing schemes) stays a code with its
``label`` beside it.
"""

from __future__ import annotations

from typing import Any

import jinja2

from services.matching.domain.candidates import Candidate
from services.matching.events import OpeningKind
from shared.i18n import DEFAULT, ENGLISH, Catalog, catalog, format_date
from shared.taxonomy import Taxonomy

TEXTS = ("shared", "services.matching")

_FINANCING = [
    ("introduction_benefit", {OpeningKind.language_practice}),
    ("work_training", {OpeningKind.work_training}),
    ("wage_subsidy", {OpeningKind.job}),
    ("inclusion_grant", {OpeningKind.job, OpeningKind.work_training, OpeningKind.apprenticeship}),
    ("mentor_grant", {OpeningKind.job, OpeningKind.work_training}),
    ("apprentice_grant", {OpeningKind.apprenticeship}),
]
"""The financing schemes (``financing.<code>`` and ``.note`` in the catalog) and the
kinds of opening each applies to."""

_MEETINGS = ("start_up", "weekly", "check_in", "halfway", "final")


def _number(value: float, locale: str) -> str:
    shown = f"{value:g}"
    return shown if locale == ENGLISH else shown.replace(".", ",")


def build_package(
    *,
    match: dict[str, Any],
    opening: dict[str, Any],
    employer: dict[str, Any],
    candidate: Candidate,
    explanation: dict[str, Any],
    mentor_capacity_left: int,
    taxonomy: Taxonomy,
    locale: str = DEFAULT,
) -> dict[str, Any]:
    texts = catalog(*TEXTS)

    def t(key: str, **params: Any) -> str:
        return texts.text(key, locale, **params)

    kind = OpeningKind(opening["kind"])
    norwegian = {sub: level for sub, level in candidate.norwegian}
    years = sum(y for _, y in candidate.occupations)
    basics = [
        {
            "code": f"norwegian_{sub}",
            "item": t("package.basic.norwegian", sub_test=t(f"norwegian_sub_test.{sub}").lower()),
            "documented": level is not None,
            "evidence": t("package.basic.cefr", level=level)
            if level
            else t("package.not_documented"),
        }
        for sub, level in norwegian.items()
    ]
    basics += [
        {
            "code": "work_experience",
            "item": t("package.basic.work_experience"),
            "documented": bool(candidate.occupations),
            "evidence": t(
                "package.basic.years_in",
                years=_number(years, locale),
                count=len(candidate.occupations),
            )
            if candidate.occupations
            else t("package.not_documented"),
        },
        {
            "code": "recognised_education",
            "item": t("package.basic.recognised_education"),
            "documented": any(e.recognised for e in candidate.education),
            "evidence": ", ".join(
                f"{t(f'education_level.{e.level.value}')} "
                f"({e.field_code or t('package.basic.field_not_given')})"
                for e in candidate.education
                if e.recognised
            )
            or t("package.basic.none_recognised"),
        },
        {
            "code": "driving_licence",
            "item": t("package.basic.driving_licence"),
            "documented": bool(candidate.driving_licences),
            "evidence": ", ".join(sorted(candidate.driving_licences)) or t("package.none"),
        },
    ]
    practice = kind in (OpeningKind.language_practice, OpeningKind.work_training)
    meetings = [t(f"package.meeting.{name}") for name in _MEETINGS]
    occupation_title = taxonomy.occupation_title(opening["isco_code"], _taxonomy_lang(locale))
    return {
        "language": locale,
        "title": t("package.title", opening=opening.get("title") or opening["isco_code"]),
        "match": {
            "id": match["id"],
            "status": match["status"],
            "proposed_at": match["proposed_at"],
        },
        "opening": {
            "id": opening["id"],
            "kind": opening["kind"],
            "kind_label": t(f"opening_kind.{opening['kind']}"),
            "title": opening.get("title"),
            "occupation": {"isco_code": opening["isco_code"], "title": occupation_title},
            "hours_per_week": opening["hours_per_week"],
            "starts_on": opening["starts_on"],
            "municipality_code": opening["municipality_code"],
        },
        "employer": {
            "id": employer["id"],
            "name": employer["name"],
            "organisation_number": employer["organisation_number"],
        },
        "candidate": {
            "participant_id": str(candidate.participant_id),
            "occupations": [
                {
                    "isco_code": code,
                    "title": taxonomy.occupation_title(code, _taxonomy_lang(locale)),
                    "years": years,
                }
                for code, years in candidate.occupations
            ],
            "education": [e.document() for e in candidate.education],
            "skills": [
                {"uri": uri, "label": taxonomy.skill_label(uri)} for uri in sorted(candidate.skills)
            ],
            "languages": [
                {"language": language, "level": level} for language, level in candidate.languages
            ],
            "norwegian": norwegian,
            "driving_licences": sorted(candidate.driving_licences),
        },
        "fit": {
            "score": explanation["score"],
            "band": explanation["band"],
            "band_label": t(f"band.{explanation['band']}"),
            "parts": [
                {
                    "part": p["part"],
                    "label": t(f"score_part.{p['part']}"),
                    "points": p["points"],
                    "max_points": p["max_points"],
                }
                for p in explanation["parts"]
            ],
            "matched_skills": explanation["matched_skills"],
            "missing_skills": explanation["missing_skills"],
        },
        "work_life_basics": basics,
        "follow_up_plan": {
            "job_coach": match.get("proposed_by"),
            "employer_contact": employer.get("contact"),
            "mentor": {
                "needed": practice,
                "employer_mentor_capacity_left": mentor_capacity_left,
            },
            "meetings": meetings,
        },
        "financing": [
            {
                "code": code,
                "scheme": t(f"financing.{code}"),
                "applies": kind in kinds,
                "note": t(f"financing.{code}.note"),
            }
            for code, kinds in _FINANCING
        ],
        "consent": t("package.consent"),
    }


def _taxonomy_lang(locale: str) -> str:
    return "en" if locale == ENGLISH else "nb"


_TEMPLATE = """<!doctype html>
<html lang="{{ p.language }}">
<head>
<meta charset="utf-8">
<title>{{ p.title }}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; color: #111; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid #999; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
  td, th { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  .no { color: #8a1c1c; } .yes { color: #1c6b2a; }
  @media print { body { margin: 0; } h2 { break-after: avoid; } }
</style>
</head>
<body>
<h1>{{ p.title }}</h1>
<p>{{ p.employer.name }} ({{ t("package.org_number") }} {{ p.employer.organisation_number }}) ·
{{ p.opening.kind_label }} · {{ p.opening.occupation.title or p.opening.occupation.isco_code }}
({{ p.opening.occupation.isco_code }}) · {{ t("package.hours_from", hours=p.opening.hours_per_week, starts_on=day(p.opening.starts_on)) }}</p>
<p><strong>{{ t("package.fit", score=p.fit.score, band=p.fit.band_label) }}</strong></p>

<h2>{{ t("package.profile") }}</h2>
<table>
<tr><th>{{ t("package.occupations") }}</th><td>{% for o in p.candidate.occupations %}{{ o.title or o.isco_code }} ({{ t("package.years", years=o.years) }}){% if not loop.last %}<br>{% endif %}{% else %}{{ t("package.none_given") }}{% endfor %}</td></tr>
<tr><th>{{ t("package.education") }}</th><td>{% for e in p.candidate.education %}{{ t("education_level." ~ e.level) }}{% if e.field_code %}, {{ t("package.field", field=e.field_code) }}{% endif %}{% if e.country %}, {{ e.country }}{% endif %}{% if e.recognised %}, {{ t("package.recognised") }}{% endif %}{% if not loop.last %}<br>{% endif %}{% else %}{{ t("package.none_given") }}{% endfor %}</td></tr>
<tr><th>{{ t("package.skills") }}</th><td>{% for s in p.candidate.skills %}{{ s.label or s.uri }}{% if not loop.last %}, {% endif %}{% else %}{{ t("package.none_given") }}{% endfor %}</td></tr>
<tr><th>{{ t("package.norwegian") }}</th><td>{% for k, v in p.candidate.norwegian.items() %}{{ t("norwegian_sub_test." ~ k) }}: {{ v or t("package.not_documented") }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
<tr><th>{{ t("package.other_languages") }}</th><td>{% for l in p.candidate.languages %}{{ l.language }} {{ l.level }}{% if not loop.last %}, {% endif %}{% else %}{{ t("package.none_given") }}{% endfor %}</td></tr>
<tr><th>{{ t("package.driving_licence") }}</th><td>{{ p.candidate.driving_licences | join(", ") or t("package.none") }}</td></tr>
</table>

<h2>{{ t("package.why") }}</h2>
<table>
<tr><th>{{ t("package.part") }}</th><th>{{ t("package.points") }}</th><th>{{ t("package.of") }}</th></tr>
{% for part in p.fit.parts %}<tr><td>{{ part.label }}</td><td>{{ part.points }}</td><td>{{ part.max_points }}</td></tr>
{% endfor %}</table>
<p>{{ t("package.matched_skills") }}: {% for s in p.fit.matched_skills %}{{ s.label or s.uri }}{% if not loop.last %}, {% endif %}{% else %}{{ t("package.none") }}{% endfor %}.<br>
{{ t("package.missing_skills") }}: {% for s in p.fit.missing_skills %}{{ s.label or s.uri }}{% if not loop.last %}, {% endif %}{% else %}{{ t("package.none") }}{% endfor %}.</p>

<h2>{{ t("package.basics") }}</h2>
<table>
{% for b in p.work_life_basics %}<tr><td>{{ b.item }}</td><td class="{{ 'yes' if b.documented else 'no' }}">{{ b.evidence }}</td></tr>
{% endfor %}</table>

<h2>{{ t("package.follow_up") }}</h2>
<p>{{ t("package.job_coach") }}: {{ p.follow_up_plan.job_coach }}.
{% if p.follow_up_plan.employer_contact %}{{ t("package.employer_contact") }}: {{ p.follow_up_plan.employer_contact.name }}.{% endif %}
{{ t("package.mentor_needed") if p.follow_up_plan.mentor.needed else t("package.mentor_recommended") }}; {{ t("package.mentor_places_left") }}: {{ p.follow_up_plan.mentor.employer_mentor_capacity_left }}.</p>
<ul>{% for m in p.follow_up_plan.meetings %}<li>{{ m }}</li>{% endfor %}</ul>

<h2>{{ t("package.financing") }}</h2>
<table>
{% for f in p.financing if f.applies %}<tr><td>{{ f.scheme }}</td><td>{{ f.note }}</td></tr>
{% endfor %}</table>
<p><small>{{ p.consent }}</small></p>
</body>
</html>
"""


def render_html(package: dict[str, Any]) -> str:
    """The package as a printable page, in the language it was built in."""
    locale = str(package.get("language") or DEFAULT)
    texts: Catalog = catalog(*TEXTS)
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_TEMPLATE).render(
        p=package,
        t=lambda key, **params: texts.text(key, locale, **params),
        day=lambda value: format_date(value, locale),
    )
