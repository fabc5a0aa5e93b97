"""Moving a caseload in from an old system by CSV, and importing follow-up statuses."""

from __future__ import annotations

from datetime import date

import httpx

from tests.support import national_id

HEADER = (
    "given_name,family_name,birth_date,national_id,gender,settled_on,arrival_category,household_ref,"
    "unaccompanied_minor,programme_kind,programme_starts_on,planned_end,adviser\n"
)


async def test_csv_import_reports_the_bad_row_imports_the_rest_and_is_safe_to_rerun(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    mother, child = national_id(date(1988, 3, 3)), national_id(date(2015, 7, 7), d_number=True)
    single = national_id(date(2008, 9, 9))
    csv = (
        HEADER
        + f"Hana,Ali,1988-03-03,{mother},female,2024-02-01,resettlement_refugee,fam1,,introduction,2024-03-01,,adv-1\n"
        + f"Sara,Ali,2015-07-07,{child},female,2024-02-01,resettlement_refugee,fam1,,,,,\n"
        + "Bad,Row,1990-01-01,12345678901,,2024-02-01,,,,,,,\n"
        + f"Omar,Noor,2008-09-09,{single},male,2024-05-05,asylum_reception,,true,,,,\n"
    )
    headers = caseworker | {"content-type": "text/csv"}
    first = await client.post("/imports/caseload", headers=headers, content=csv.encode())
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["rows"], report["imported"], report["skipped"], report["failed"]) == (4, 3, 0, 1)
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(4, "national_id")}
    ids = {r["row"]: r["participant_id"] for r in report["results"] if r["status"] == "imported"}
    hana = (await client.get(f"/participants/{ids[2]}", headers=caseworker)).json()
    sara = (await client.get(f"/participants/{ids[3]}", headers=caseworker)).json()
    assert hana["household_id"] == sara["household_id"]
    assert hana["programme"]["adviser"] == "adv-1"
    omar = (await client.get(f"/participants/{ids[5]}", headers=caseworker)).json()
    assert omar["unaccompanied_minor"] is True and omar["programme"] is None

    again = (await client.post("/imports/caseload", headers=headers, content=csv.encode())).json()
    assert (again["imported"], again["skipped"], again["failed"]) == (0, 3, 1)
    everyone = (await client.get("/participants", headers=caseworker)).json()
    assert everyone["count"] == 3

    wrong_header = await client.post(
        "/imports/caseload", headers=headers, content=b"name,fnr\nA,1\n"
    )
    assert wrong_header.status_code == 422
    assert wrong_header.json()["errors"][0]["field"] == "header"


async def test_follow_up_statuses_import_from_csv(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    nid = national_id(date(1980, 1, 2))
    csv = HEADER + f"Li,Wu,1980-01-02,{nid},,2023-01-01,other,,,introduction,2023-02-01,,adv-2\n"
    headers = caseworker | {"content-type": "text/csv"}
    imported = (
        await client.post("/imports/caseload", headers=headers, content=csv.encode())
    ).json()
    pid = imported["results"][0]["participant_id"]
    not_ended = (
        await client.post(
            "/imports/follow-up-statuses",
            headers=headers,
            content=f"national_id,status,preliminary\n{nid},employed,true\n".encode(),
        )
    ).json()
    assert not_ended["failed"] == 1 and "complete it first" in not_ended["errors"][0]["message"]
    await client.post(
        f"/participants/{pid}/programme/completion",
        headers=caseworker,
        json={"ended_on": "2024-12-20", "reason": "completed", "outcome": "education_higher"},
    )
    statuses = f"national_id,status,preliminary\n{nid},education,true\n00000000000,employed,false\n".encode()
    result = (
        await client.post("/imports/follow-up-statuses", headers=headers, content=statuses)
    ).json()
    assert (result["imported"], result["failed"]) == (1, 1)
    rerun = (
        await client.post("/imports/follow-up-statuses", headers=headers, content=statuses)
    ).json()
    assert (rerun["imported"], rerun["skipped"], rerun["failed"]) == (0, 1, 1)
    view = (await client.get(f"/participants/{pid}", headers=caseworker)).json()
    assert view["programme"]["follow_up_status"] == "education"
    assert view["programme"]["follow_up_preliminary"] is True
