"""The package an employer gets with a proposed match (JSON and printable HTML).

Employers fear "the unknown": the package says what they get — the participant's
consented competence profile, the work-life basics that are documented (and those
that are not), the follow-up plan with mentor and job coach, and the financing
schemes to discuss. It holds only what the participant consented to share.
"""

from __future__ import annotations

from typing import Any

import jinja2

from services.matching.domain.candidates import Candidate
from services.matching.events import OpeningKind
from shared.taxonomy import Taxonomy

_FINANCING = [
    {
        "scheme": "Introduction benefit (introduksjonsstønad)",
        "kinds": {OpeningKind.language_practice},
        "note": "Language practice is unpaid: the participant keeps the introduction benefit; "
        "the employer pays no wage.",
    },
    {
        "scheme": "Work training (arbeidstrening, NAV)",
        "kinds": {OpeningKind.work_training},
        "note": "No wage; the participant keeps their benefit while NAV follows up.",
    },
    {
        "scheme": "Wage subsidy (lønnstilskudd, NAV)",
        "kinds": {OpeningKind.job},
        "note": "Time-limited (or, for reduced work capacity, lasting) share of the wage, agreed "
        "with NAV before the start.",
    },
    {
        "scheme": "Inclusion grant (inkluderingstilskudd, NAV)",
        "kinds": {OpeningKind.job, OpeningKind.work_training, OpeningKind.apprenticeship},
        "note": "Covers adaptations of the workplace and equipment.",
    },
    {
        "scheme": "Mentor grant (mentortilskudd, NAV)",
        "kinds": {OpeningKind.job, OpeningKind.work_training},
        "note": "Pays for a colleague's time as mentor.",
    },
    {
        "scheme": "Apprentice grant (lærlingtilskudd, county authority)",
        "kinds": {OpeningKind.apprenticeship},
        "note": "Basic grant for an apprenticeship leading to a trade certificate (fagbrev).",
    },
]


def build_package(
    *,
    match: dict[str, Any],
    opening: dict[str, Any],
    employer: dict[str, Any],
    candidate: Candidate,
    explanation: dict[str, Any],
    mentor_capacity_left: int,
    taxonomy: Taxonomy,
) -> dict[str, Any]:
    kind = OpeningKind(opening["kind"])
    norwegian = {sub: level for sub, level in candidate.norwegian}
    years = sum(y for _, y in candidate.occupations)
    basics = [
        {
            "item": f"Norwegian, {sub}",
            "documented": level is not None,
            "evidence": f"CEFR {level}" if level else "not documented",
        }
        for sub, level in norwegian.items()
    ]
    basics += [
        {
            "item": "Work experience",
            "documented": bool(candidate.occupations),
            "evidence": f"{years:g} years in {len(candidate.occupations)} occupation(s)"
            if candidate.occupations
            else "not documented",
        },
        {
            "item": "Education recognised in Norway",
            "documented": any(e.recognised for e in candidate.education),
            "evidence": ", ".join(
                f"{e.level.value} ({e.field_code or 'field not given'})"
                for e in candidate.education
                if e.recognised
            )
            or "none recognised yet",
        },
        {
            "item": "Driving licence",
            "documented": bool(candidate.driving_licences),
            "evidence": ", ".join(sorted(candidate.driving_licences)) or "none",
        },
    ]
    practice = kind in (OpeningKind.language_practice, OpeningKind.work_training)
    meetings = [
        "Start-up meeting with the participant, the mentor and the job coach before the first day",
        "Follow-up conversation with the participant at least once a week",
        "Check-in between the job coach and the mentor every second week",
        "Evaluation halfway: what works, what to adjust",
        "Final evaluation: outcome and the next step (a job, more practice, education)",
    ]
    return {
        "title": f"Placement package: {opening.get('title') or opening['isco_code']}",
        "match": {
            "id": match["id"],
            "status": match["status"],
            "proposed_at": match["proposed_at"],
        },
        "opening": {
            "id": opening["id"],
            "kind": opening["kind"],
            "title": opening.get("title"),
            "occupation": {
                "isco_code": opening["isco_code"],
                "title": taxonomy.occupation_title(opening["isco_code"]),
            },
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
                {"isco_code": code, "title": taxonomy.occupation_title(code), "years": years}
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
            "parts": [
                {"part": p["part"], "points": p["points"], "max_points": p["max_points"]}
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
            {"scheme": f["scheme"], "applies": kind in f["kinds"], "note": f["note"]}
            for f in _FINANCING
        ],
        "consent": "Only the parts of the competence profile the participant consented to share "
        "with employers are included.",
    }


_TEMPLATE = """<!doctype html>
<html lang="en">
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
<p>{{ p.employer.name }} (org. no. {{ p.employer.organisation_number }}) ·
{{ p.opening.kind | replace("_", " ") }} · {{ p.opening.occupation.title or p.opening.occupation.isco_code }}
({{ p.opening.occupation.isco_code }}) · {{ p.opening.hours_per_week }} h/week from {{ p.opening.starts_on }}</p>
<p>Fit: <strong>{{ p.fit.score }}</strong> of 100 ({{ p.fit.band }}).</p>

<h2>Competence profile</h2>
<table>
<tr><th>Occupations</th><td>{% for o in p.candidate.occupations %}{{ o.title or o.isco_code }} ({{ o.years }} years){% if not loop.last %}<br>{% endif %}{% else %}none given{% endfor %}</td></tr>
<tr><th>Education</th><td>{% for e in p.candidate.education %}{{ e.level }}{% if e.field_code %}, field {{ e.field_code }}{% endif %}{% if e.country %}, {{ e.country }}{% endif %}{% if e.recognised %}, recognised{% endif %}{% if not loop.last %}<br>{% endif %}{% else %}none given{% endfor %}</td></tr>
<tr><th>Skills</th><td>{% for s in p.candidate.skills %}{{ s.label or s.uri }}{% if not loop.last %}, {% endif %}{% else %}none given{% endfor %}</td></tr>
<tr><th>Norwegian</th><td>{% for k, v in p.candidate.norwegian.items() %}{{ k }}: {{ v or "not documented" }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
<tr><th>Other languages</th><td>{% for l in p.candidate.languages %}{{ l.language }} {{ l.level }}{% if not loop.last %}, {% endif %}{% else %}none given{% endfor %}</td></tr>
<tr><th>Driving licence</th><td>{{ p.candidate.driving_licences | join(", ") or "none" }}</td></tr>
</table>

<h2>Why this match</h2>
<table>
<tr><th>Part</th><th>Points</th><th>Of</th></tr>
{% for part in p.fit.parts %}<tr><td>{{ part.part | replace("_", " ") }}</td><td>{{ part.points }}</td><td>{{ part.max_points }}</td></tr>
{% endfor %}</table>
<p>Matched skills: {% for s in p.fit.matched_skills %}{{ s.label or s.uri }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}.<br>
Missing essential skills: {% for s in p.fit.missing_skills %}{{ s.label or s.uri }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}.</p>

<h2>Work-life basics</h2>
<table>
{% for b in p.work_life_basics %}<tr><td>{{ b.item }}</td><td class="{{ 'yes' if b.documented else 'no' }}">{{ b.evidence }}</td></tr>
{% endfor %}</table>

<h2>Follow-up plan</h2>
<p>Job coach: {{ p.follow_up_plan.job_coach }}.
{% if p.follow_up_plan.employer_contact %}Contact at the employer: {{ p.follow_up_plan.employer_contact.name }}.{% endif %}
Mentor {{ "needed" if p.follow_up_plan.mentor.needed else "recommended" }}; mentor places left: {{ p.follow_up_plan.mentor.employer_mentor_capacity_left }}.</p>
<ul>{% for m in p.follow_up_plan.meetings %}<li>{{ m }}</li>{% endfor %}</ul>

<h2>Financing</h2>
<table>
{% for f in p.financing if f.applies %}<tr><td>{{ f.scheme }}</td><td>{{ f.note }}</td></tr>
{% endfor %}</table>
<p><small>{{ p.consent }}</small></p>
</body>
</html>
"""


def render_html(package: dict[str, Any]) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_TEMPLATE).render(p=package)
