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
    assert not_ended["failed"] == 1 and not_ended["errors"][0]["code"] == "no-programme"
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


async def test_malformed_or_oversized_csv_is_a_422_and_imports_nothing(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    headers = caseworker | {"content-type": "text/csv"}
    nid = national_id(date(1980, 5, 6))
    good = f"Li,Wu,1980-05-06,{nid},,2023-01-01,other,,,,,,\n"
    too_many = (
        HEADER
        + good
        + "".join(
            f"N{i},M,1980-05-06,{national_id(date(1980, 5, 6))},,,,,,,,,\n" for i in range(5_000)
        )
    )
    cases = {
        "unclosed quote": HEADER + good + 'A,"B,1980-01-01\n',
        "not UTF-8": (HEADER + good).encode("utf-16"),
        "too many rows": too_many,
        "a row wider than the header": HEADER + good + "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o\n",
    }
    for name, content in cases.items():
        raw = content if isinstance(content, bytes) else content.encode()
        answer = await client.post("/imports/caseload", headers=headers, content=raw)
        assert answer.status_code == 422, (name, answer.status_code, answer.text[:300])
        assert answer.json()["errors"], name
    found = await client.get(f"/participants?national_id={nid}", headers=caseworker)
    assert found.json()["count"] == 0
    # A bare CR is a line end, as in old Mac exports: the rows import.
    bare_cr = HEADER.replace("\n", "\r") + good.replace("\n", "\r")
    answer = await client.post("/imports/caseload", headers=headers, content=bare_cr.encode())
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] == 1


async def test_import_rows_refused_by_a_rule_name_its_code(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    headers = caseworker | {"content-type": "text/csv"}
    nid = national_id(date(1980, 5, 6))
    mismatch = HEADER + f"Li,Wu,1980-05-07,{nid},,,,,,,,,\n"
    report = (
        await client.post("/imports/caseload", headers=headers, content=mismatch.encode())
    ).json()
    assert report["failed"] == 1
    assert report["errors"][0]["code"] == "birth-date-mismatch"
