"""From mapping to contract over HTTP: competence mapping, career guidance, the
programme length the Act allows for the end goal and background, the full-time rule per
week and per year, and the integration contract with every revision kept and sealed."""

from __future__ import annotations

from typing import Any

import httpx

from shared.settings import Settings
from tests.participants.test_act import Person, refused
from tests.support import auth, eventually, stream_messages

START = {"kind": "introduction", "starts_on": "2024-02-01", "adviser": "adviser-7"}


def plan(end_goal: str = "work", **extra: Any) -> dict[str, Any]:
    return {
        "valid_from": "2024-02-05",
        "end_goal": end_goal,
        "norwegian_goal": "B1",
        "activities": [
            {"kind": "norwegian_training", "hours_per_week": 20, "starts_on": "2024-02-05"},
            {"kind": "work_training", "hours_per_week": 17.5, "starts_on": "2024-02-05"},
        ],
        **extra,
    }


async def ready(client: httpx.AsyncClient, headers: dict[str, str], **mapping: Any) -> Person:
    p = await (await (await Person(client, headers).register()).settle()).category()
    return await p.map("2024-01-20", **mapping)


async def test_from_mapping_to_a_signed_and_revised_contract(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    p = await ready(client, caseworker, education_level="primary")
    await p.ok("POST", "/career-guidance", {"guided_on": "2024-01-25"})
    await p.ok("POST", "/programme", START)
    await p.ok("PUT", "/plan", plan())
    await p.ok(
        "POST",
        "/contract",
        {"agreed_on": "2024-02-10", "content": "Amina skal møte hver dag; kommunen gir tolk"},
    )
    await p.ok("POST", "/contract/signature", {"revision": 1, "signed_on": "2024-02-12"})
    await p.ok("PUT", "/plan", plan(valid_from="2024-06-01"))
    await p.ok(
        "POST",
        "/contract/revisions",
        {"revised_on": "2024-06-01", "content": "Ny avtale: praksis hos Drammen sykehjem"},
    )
    unsigned = (await p.ok("GET", "/contract"))["signed"]
    assert unsigned is False
    await p.ok("POST", "/contract/signature", {"revision": 2, "signed_on": "2024-06-03"})

    view = await p.ok("GET", "/contract")
    assert view["current_revision"] == 2 and view["signed"] is True
    assert [
        (r["revision"], r["agreed_on"], r["signed_on"], r["plan_revision"])
        for r in view["revisions"]
    ] == [(1, "2024-02-10", "2024-02-12", 1), (2, "2024-06-01", "2024-06-03", 2)]
    assert view["revisions"][0]["content"] == "Amina skal møte hver dag; kommunen gir tolk"
    assert view["revisions"][1]["content"] == "Ny avtale: praksis hos Drammen sykehjem"
    analyst = await client.get(
        f"/participants/{p.pid}/contract", headers=auth(settings, ["analyst"])
    )
    assert analyst.status_code == 200
    assert [r["content"] for r in analyst.json()["revisions"]] == [None, None]

    rights = await p.rights("2024-03-01")
    assert rights["competence_mapping"]["mapped_on"] == "2024-01-20"
    assert rights["competence_mapping"]["education_level"] == "primary"
    assert rights["career_guidance"]["guided_on"] == "2024-01-25"
    length = rights["programme_length"]
    assert length["group"] == "without_upper_secondary"
    assert (length["max_months"], length["extension_months"]) == (24, 12)
    assert length["legal_basis"]["code"] == "il-14"
    assert length["planned_end"] == "2026-02-01" and length["within_normal_length"] is True
    assert rights["full_time"]["full_time_week"] is True
    assert rights["full_time"]["full_time_year"] is True

    async def published() -> list[dict[str, Any]]:
        messages = [
            m
            for m in await stream_messages(settings, "participants")
            if m.get("data", {}).get("participant_id") == p.pid
        ]
        signed = [m for m in messages if m["type"].endswith("integration_contract_signed.v1")]
        return messages if len(signed) == 2 else []

    messages = await eventually(published)
    types = [m["type"].removeprefix("no.veiviser.participants.") for m in messages]
    assert [t for t in types if t.startswith("contract.")] == [
        "contract.competence_mapped.v1",
        "contract.career_guidance_given.v1",
        "contract.integration_contract_agreed.v1",
        "contract.integration_contract_signed.v1",
        "contract.integration_contract_revised.v1",
        "contract.integration_contract_signed.v1",
    ]
    wire = str(messages)
    for secret in ("Amina", "Haile", "tolk", "Drammen", "sealed", "content_recorded"):
        assert secret not in wire, secret
    agreed = next(m for m in messages if m["type"].endswith("integration_contract_agreed.v1"))
    assert set(agreed["data"]) == {
        "participant_id",
        "contract_id",
        "programme_id",
        "revision",
        "agreed_on",
        "plan_revision",
    }


async def test_the_programme_length_follows_background_and_end_goal(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    educated = await ready(
        client, caseworker, education_level="bachelor", upper_secondary_completed=True
    )
    refused(
        await educated.send("POST", "/programme", START | {"planned_end": "2025-02-02"}),
        409,
        "programme-length",
        "planned_end",
    )
    await educated.ok("POST", "/programme", START)  # the default: the Act's normal length
    state = await educated.ok("GET", "")
    assert state["programme"]["planned_end"] == "2024-08-01"  # six months (§ 13)

    p = await ready(client, caseworker, education_level="lower_secondary")
    # Before the plan the end goal is unknown: up to 36 + 12 months for this background.
    refused(
        await p.send("POST", "/programme", START | {"planned_end": "2028-02-02"}),
        409,
        "programme-length",
        "planned_end",
    )
    await p.ok("POST", "/programme", START | {"planned_end": "2027-08-01"})
    too_long = refused(
        await p.send("PUT", "/plan", plan("work")), 409, "programme-length", "end_goal"
    )
    assert "il-14" in too_long["detail"] or too_long["code"] == "programme-length"
    await p.ok("PUT", "/plan", plan("upper_secondary"))
    length = (await p.rights("2024-03-01"))["programme_length"]
    assert length["group"] == "without_upper_secondary_goal_upper_secondary"
    assert length["normal_end"] == "2027-02-01" and length["latest_end"] == "2028-02-01"
    assert length["needs_extension"] is True and length["within_normal_length"] is False


async def test_the_full_time_rule_per_week_and_per_year(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    p = await ready(client, caseworker)
    await p.ok("POST", "/programme", START)
    short = plan()
    short["activities"][1] |= {"ends_on": "2024-04-30"}  # work training for three months only
    await p.ok("PUT", "/plan", short)
    plans = await p.ok("GET", "/plans")
    assert plans["current"]["full_time"] is True  # the week of valid_from: 37.5 h
    assert plans["current"]["below_full_time"] is False
    full_time = (await p.rights("2024-03-01"))["full_time"]
    assert full_time["full_time_week"] is True
    assert full_time["full_time_year"] is False  # 20 h a week after April
    assert full_time["required_per_year"] == 37.5 * 47
    assert full_time["hours_per_year"] < full_time["required_per_year"]
    assert full_time["full_time"] is False


async def test_every_bad_mapping_guidance_and_contract_is_refused_with_its_rule(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    unsettled = await Person(client, caseworker).register()
    refused(
        await unsettled.send("POST", "/competence-mapping", {"mapped_on": "2024-01-20"}),
        409,
        "not-settled",
    )
    p = await (await Person(client, caseworker).register()).settle()
    refused(
        await p.send("POST", "/competence-mapping", {"mapped_on": "2199-01-20"}),
        422,
        "future-fact",
        "mapped_on",
    )
    refused(
        await p.send("POST", "/competence-mapping", {"mapped_on": "2024-01-05"}),
        422,
        "before-settlement",
        "mapped_on",
    )
    refused(
        await p.send(
            "POST",
            "/competence-mapping",
            {
                "mapped_on": "2024-01-20",
                "education_level": "primary",
                "upper_secondary_completed": True,
            },
        ),
        422,
        "education-contradiction",
        "upper_secondary_completed",
    )
    refused(
        await p.send("POST", "/career-guidance", {"guided_on": "2024-01-25"}),
        409,
        "guidance-before-mapping",
        "guided_on",
    )
    await p.map("2024-01-20")
    refused(
        await p.send("POST", "/career-guidance", {"guided_on": "2024-01-19"}),
        409,
        "guidance-before-mapping",
        "guided_on",
    )
    contract = {"agreed_on": "2024-02-10", "content": "Avtale"}
    refused(
        await p.send("POST", "/contract/signature", {"revision": 1, "signed_on": "2024-02-12"}),
        409,
        "no-contract",
    )
    refused(await p.send("POST", "/contract", contract), 409, "no-programme")
    await p.ok("POST", "/programme", START)
    refused(await p.send("POST", "/contract", contract), 409, "contract-without-plan")
    refused(
        await p.send("POST", "/contract", contract | {"content": ""}),
        422,
        "validation-error",
        "content",
    )
    await p.ok("PUT", "/plan", plan())
    await p.ok("POST", "/contract", contract)
    refused(await p.send("POST", "/contract", contract), 409, "contract-exists")
    refused(
        await p.send("POST", "/contract/revisions", {"revised_on": "2024-03-01", "content": "Ny"}),
        409,
        "contract-unsigned",
    )
    refused(
        await p.send("POST", "/contract/signature", {"revision": 2, "signed_on": "2024-02-12"}),
        409,
        "contract-revision-unknown",
        "revision",
    )
    refused(
        await p.send("POST", "/contract/signature", {"revision": 1, "signed_on": "2024-02-09"}),
        422,
        "date-order",
        "signed_on",
    )
    await p.ok("POST", "/contract/signature", {"revision": 1, "signed_on": "2024-02-12"})
    refused(
        await p.send("POST", "/contract/signature", {"revision": 1, "signed_on": "2024-02-13"}),
        409,
        "contract-signed",
        "revision",
    )
    refused(
        await p.send("POST", "/contract/revisions", {"revised_on": "2024-02-11", "content": "Ny"}),
        422,
        "date-order",
        "revised_on",
    )
    view = await p.ok("GET", "/contract")
    assert [(r["revision"], r["signed_on"]) for r in view["revisions"]] == [(1, "2024-02-12")]
