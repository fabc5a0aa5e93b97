"""The package an employer gets with a proposed match (JSON, printable HTML and PDF).

Employers fear "the unknown": the package says what they get — the participant's
consented competence profile, the work-life basics that are documented (and those
that are not), the follow-up plan with mentor and job coach, and the financing
schemes to discuss. It holds only what the participant consented to share.

The person is a pseudonymous reference unless the participant consented to share name
and contact with *this* employer (read from the participants service, see
:mod:`.participants`); the follow-up plan is dated from the match, the placement and the
participant's plan (:mod:`.follow_up`); the financing schemes carry their amounts and
conditions as dated data (:mod:`.financing`).

It is in Norwegian (bokmål) by default and in English or nynorsk on request: every
text comes from the matching service's ``package`` catalog, and every code (the
opening's kind, the fit's band and parts, the financing schemes) stays a code with its
``label`` beside it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import jinja2

from services.matching.domain.candidates import Candidate
from services.matching.package import financing, follow_up
from services.matching.package.participants import ParticipantsClient, PersonContact
from services.matching.package.pdf import render_pdf
from shared.dates import today
from shared.i18n import DEFAULT, ENGLISH, Catalog, catalog, format_date
from shared.rules import rule
from shared.settings import Settings
from shared.taxonomy import Taxonomy

__all__ = [
    "CONTACT_WITHOUT_CONSENT",
    "build_package",
    "participants_client",
    "render_html",
    "render_pdf",
]

TEXTS = ("shared", "services.matching")

CONTACT_WITHOUT_CONSENT = rule(
    "contact-without-consent",
    422,
    "Name and contact asked for without consent",
    service="matching",
    description="`with_contact=true` needs the participant's consent to share name and "
    "contact with this employer, recorded in the participants service and in force today.",
)


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
    contact: PersonContact | None = None,
    participant_plan: dict[str, Any] | None = None,
    agreements: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The package as data; ``contact`` only when the participant consented to share it
    with this employer (the caller asked participants), else the pseudonymous reference."""
    texts = catalog(*TEXTS)

    def t(key: str, **params: Any) -> str:
        return texts.text(key, locale, **params)

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
    plan = follow_up.plan(
        match=match,
        opening=opening,
        employer=employer,
        participant_plan=participant_plan,
        mentor_capacity_left=mentor_capacity_left,
        say=t,
    )
    financing_on = max(date.fromisoformat(plan["starts_on"]), today())
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
        "person": _person(candidate, contact, t),
        "follow_up_plan": plan,
        "financing": financing.options(opening["kind"], financing_on, locale, t),
        "agreements": [_agreement(a, locale, t) for a in agreements or []],
        "consent": t("package.consent"),
    }


def participants_client(app: Any, settings: Settings) -> ParticipantsClient:
    """The app's client for the participants service (``app.state.participants_client``,
    which a test may set to an in-process one), made once."""
    client = getattr(app.state, "participants_client", None)
    if client is None:
        client = ParticipantsClient(settings)
        app.state.participants_client = client
    return client


def _agreement(agreement: dict[str, Any], locale: str, t: Any) -> dict[str, Any]:
    """An agreement's status in words: the numbers it rests on, beside the target."""
    if agreement.get("measure") == "placement_to_job":
        share = agreement.get("share")
        progress = t(
            "package.agreement_line",
            done=agreement["turned_into_job"],
            total=agreement["ended"],
            share=_number(round((share or 0) * 100), locale),
            target=_number(round(agreement["target_share"] * 100), locale),
        )
    elif agreement.get("measure") == "jobs":
        progress = t(
            "package.agreement_count_line",
            done=agreement["jobs"],
            target=agreement["target_count"],
        )
    else:
        progress = ""
    return {**agreement, "progress": progress}


def _person(candidate: Candidate, contact: PersonContact | None, t: Any) -> dict[str, Any]:
    """Who the employer meets: the name and contact with consent, else the reference."""
    reference = str(candidate.participant_id)
    if contact is None:
        return {
            "reference": reference,
            "named": False,
            "contact_through": t("package.person.through_job_coach"),
        }
    return {
        "reference": reference,
        "named": True,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "consent": {"consent_id": contact.consent_id, "given_on": contact.given_on},
        "consent_note": t("package.person.consented", given_on=contact.given_on),
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
<h2>{{ t("package.person") }}</h2>
{% if p.person.named %}<p>{{ p.person.name }}{% if p.person.phone %} · {{ p.person.phone }}{% endif %}{% if p.person.email %} · {{ p.person.email }}{% endif %}<br><small>{{ t("package.person.consented", given_on=day(p.person.consent.given_on)) }}</small></p>
{% else %}<p>{{ t("package.person.reference", reference=p.person.reference) }}<br>{{ p.person.contact_through }}</p>{% endif %}

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
{% set f = p.follow_up_plan %}
<table>
<tr><th>{{ t("package.job_coach") }}</th><td>{{ f.job_coach }}</td></tr>
{% if f.employer_contact %}<tr><th>{{ t("package.employer_contact") }}</th><td>{{ f.employer_contact.name }}</td></tr>{% endif %}
<tr><th>{{ t("package.mentor") }}</th><td>{{ t("package.mentor_needed") if f.mentor.needed else t("package.mentor_recommended") }}; {{ t("package.mentor_places_left") }}: {{ f.mentor.employer_mentor_capacity_left }}</td></tr>
<tr><th>{{ t("package.period") }}</th><td>{{ day(f.starts_on) }} – {{ day(f.ends_on) }} ({{ t("package.start_from." ~ f.start_from) }}; {{ t("package.end_from." ~ f.end_from) }})</td></tr>
<tr><th>{{ t("package.participant_plan") }}</th><td>{% if not f.participant_plan.known %}{{ t("package.plan_unknown") }}{% else %}{% if f.participant_plan.programme %}{{ t("package.programme_until", planned_end=day(f.participant_plan.programme.planned_end)) }}{% endif %}{% for a in f.participant_plan.other_activities %}<br>{{ a.label }}: {{ t("package.hours", hours=a.hours_per_week) }}{% endfor %}{% endif %}</td></tr>
</table>
<table>
<tr><th>{{ t("package.when") }}</th><th>{{ t("package.meeting") }}</th></tr>
{% for m in f.meetings %}<tr><td>{{ day(m.on) }}</td><td>{{ m.what }}</td></tr>
{% endfor %}</table>

<h2>{{ t("package.financing") }}</h2>
<table>
<tr><th>{{ t("package.scheme") }}</th><th>{{ t("package.amounts") }}</th><th>{{ t("package.conditions") }}</th></tr>
{% for s in p.financing if s.applies %}<tr><td>{{ s.scheme }}<br><small>{{ s.provider_label }}{% if s.max_months %} · {{ t("package.max_months", months=s.max_months) }}{% endif %}</small></td>
<td>{% for a in s.amounts %}{{ a.label }}: {{ a.shown }}{% if not loop.last %}<br>{% endif %}{% else %}{{ s.note }}{% endfor %}</td>
<td>{% for c in s.conditions %}{{ c.text }}{% if not loop.last %}<br>{% endif %}{% endfor %}{% if not s.verified %}<br><em>{{ t("package.to_be_verified") }}</em>{% endif %}</td></tr>
{% endfor %}</table>
{% if p.agreements %}<h2>{{ t("package.agreements") }}</h2>
<table>
{% for a in p.agreements %}<tr><td>{{ a.description }}</td><td>{{ a.status_label }}{% if a.progress %}: {{ a.progress }}{% endif %}</td></tr>
{% endfor %}</table>{% endif %}
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
