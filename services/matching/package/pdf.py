"""The package as a PDF (ReportLab), with the same sections and texts as the HTML page.

A4, the standard Helvetica (its WinAnsi encoding has æ, ø and å), the title and
language in the document's metadata, and every text from the ``package`` catalog in the
language the package was built in.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from shared.i18n import DEFAULT, catalog, format_date

_TEXTS = ("shared", "services.matching")


def render_pdf(package: dict[str, Any]) -> bytes:
    """The package as an A4 PDF, in the language it was built in."""
    locale = str(package.get("language") or DEFAULT)
    texts = catalog(*_TEXTS)

    def t(key: str, **params: Any) -> str:
        return texts.text(key, locale, **params)

    def day(value: str | None) -> str:
        return format_date(value, locale) if value else ""

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)

    def para(text: str, style: Any = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(rows: list[list[str]], header: bool = False) -> Table:
        shown = Table(
            [[para(cell) for cell in row] for row in rows],
            colWidths=None,
            hAlign="LEFT",
            repeatRows=1 if header else 0,
        )
        style = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
        shown.setStyle(TableStyle(style))
        return shown

    p = package
    opening, candidate, fit, plan = p["opening"], p["candidate"], p["fit"], p["follow_up_plan"]
    story: list[Flowable] = [
        Paragraph(escape(p["title"]), styles["Title"]),
        para(
            f"{p['employer']['name']} ({t('package.org_number')} "
            f"{p['employer']['organisation_number']}) · {opening['kind_label']} · "
            f"{opening['occupation']['title'] or opening['occupation']['isco_code']} "
            f"({opening['occupation']['isco_code']}) · "
            + t(
                "package.hours_from",
                hours=opening["hours_per_week"],
                starts_on=day(opening["starts_on"]),
            )
        ),
        para(t("package.fit", score=fit["score"], band=fit["band_label"])),
        Paragraph(escape(t("package.person")), styles["Heading2"]),
    ]
    person = p["person"]
    if person["named"]:
        reach = " · ".join(x for x in (person.get("phone"), person.get("email")) if x)
        story.append(para(person["name"] + (f" · {reach}" if reach else "")))
        story.append(
            para(t("package.person.consented", given_on=day(person["consent"]["given_on"])), small)
        )
    else:
        story.append(para(t("package.person.reference", reference=person["reference"])))
        story.append(para(person["contact_through"]))

    story.append(Paragraph(escape(t("package.profile")), styles["Heading2"]))
    none = t("package.none_given")
    story.append(
        table(
            [
                [
                    t("package.occupations"),
                    "\n".join(
                        f"{o['title'] or o['isco_code']} ({t('package.years', years=o['years'])})"
                        for o in candidate["occupations"]
                    )
                    or none,
                ],
                [
                    t("package.skills"),
                    ", ".join(s["label"] or s["uri"] for s in candidate["skills"]) or none,
                ],
                [
                    t("package.norwegian"),
                    ", ".join(
                        f"{t('norwegian_sub_test.' + k)}: {v or t('package.not_documented')}"
                        for k, v in candidate["norwegian"].items()
                    )
                    or none,
                ],
                [
                    t("package.driving_licence"),
                    ", ".join(candidate["driving_licences"]) or t("package.none"),
                ],
            ]
        )
    )
    story.append(Paragraph(escape(t("package.why")), styles["Heading2"]))
    story.append(
        table(
            [[t("package.part"), t("package.points"), t("package.of")]]
            + [
                [part["label"], str(part["points"]), str(part["max_points"])]
                for part in fit["parts"]
            ],
            header=True,
        )
    )
    story.append(Paragraph(escape(t("package.basics")), styles["Heading2"]))
    story.append(table([[b["item"], b["evidence"]] for b in p["work_life_basics"]]))

    story.append(Paragraph(escape(t("package.follow_up")), styles["Heading2"]))
    rows = [[t("package.job_coach"), str(plan["job_coach"] or "")]]
    if plan.get("employer_contact"):
        rows.append([t("package.employer_contact"), plan["employer_contact"]["name"]])
    rows.append(
        [
            t("package.mentor"),
            (
                t("package.mentor_needed")
                if plan["mentor"]["needed"]
                else t("package.mentor_recommended")
            )
            + f"; {t('package.mentor_places_left')}: {plan['mentor']['employer_mentor_capacity_left']}",
        ]
    )
    rows.append(
        [
            t("package.period"),
            f"{day(plan['starts_on'])} – {day(plan['ends_on'])} "
            f"({t('package.start_from.' + plan['start_from'])}; {t('package.end_from.' + plan['end_from'])})",
        ]
    )
    known = plan["participant_plan"]
    if not known["known"]:
        plan_text = t("package.plan_unknown")
    else:
        lines = []
        if known["programme"]:
            lines.append(
                t("package.programme_until", planned_end=day(known["programme"]["planned_end"]))
            )
        lines += [
            f"{a['label']}: {t('package.hours', hours=a['hours_per_week'])}"
            for a in known["other_activities"]
        ]
        plan_text = "\n".join(lines) or none
    rows.append([t("package.participant_plan"), plan_text])
    story.append(table(rows))
    story.append(Spacer(1, 3 * mm))
    story.append(
        table(
            [[t("package.when"), t("package.meeting")]]
            + [[day(m["on"]), m["what"]] for m in plan["meetings"]],
            header=True,
        )
    )

    story.append(Paragraph(escape(t("package.financing")), styles["Heading2"]))
    financing_rows = [[t("package.scheme"), t("package.amounts"), t("package.conditions")]]
    for scheme in p["financing"]:
        if not scheme["applies"]:
            continue
        head = scheme["scheme"] + f"\n{scheme['provider_label']}"
        if scheme["max_months"]:
            head += " · " + t("package.max_months", months=scheme["max_months"])
        amounts = (
            "\n".join(f"{a['label']}: {a['shown']}" for a in scheme["amounts"]) or scheme["note"]
        )
        conditions = "\n".join(c["text"] for c in scheme["conditions"])
        if not scheme["verified"]:
            conditions += "\n" + t("package.to_be_verified")
        financing_rows.append([head, amounts, conditions])
    story.append(table(financing_rows, header=True))

    agreements = p.get("agreements") or []
    if agreements:
        story.append(Paragraph(escape(t("package.agreements")), styles["Heading2"]))
        story.append(
            table([[a["description"], f"{a['status_label']}: {a['progress']}"] for a in agreements])
        )
    story.append(Spacer(1, 4 * mm))
    story.append(para(p["consent"], small))

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=p["title"],
        author=p["employer"]["name"],
        lang=locale,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    document.build(story)
    return out.getvalue()
