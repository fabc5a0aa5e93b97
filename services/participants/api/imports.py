"""Bulk imports from CSV: an existing caseload, and follow-up statuses (e.g. from SSB/IMDi).

Every row is validated and written in its own transaction, so a bad row never leaves a
half-written participant and the good rows still land; the report names each bad row
and field. Re-running the same file is safe: rows already imported are skipped.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO, Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, domain, personal_data
from services.participants import events as ev
from services.participants.api.common import Caseworker, today
from services.participants.api.participants import valid_national_id
from services.participants.queries import find_by_national_id
from services.participants.tables import participant_summary
from shared.dates import Day
from shared.deps import RuntimeDep
from shared.events import Metadata
from shared.http import problem_responses
from shared.problems import InvalidInput, Problem, field_error
from shared.rules import RuleViolation
from shared.service import Runtime

router = APIRouter(prefix="/imports", tags=["imports"])

CASELOAD_COLUMNS = (
    "given_name",
    "family_name",
    "birth_date",
    "national_id",
    "gender",
    "settled_on",
    "arrival_category",
    "household_ref",
    "unaccompanied_minor",
    "programme_kind",
    "programme_starts_on",
    "planned_end",
    "adviser",
)
STATUS_COLUMNS = ("national_id", "status", "preliminary")
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "UTF-8 CSV with a header row (BOM allowed; CRLF, LF or CR line ends), "
        "at most 5000 data rows; read as a stream.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class CaseloadRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: Day
    national_id: str
    gender: ev.Gender = ev.Gender.unknown
    settled_on: Day | None = None
    arrival_category: ev.ArrivalCategory | None = None
    household_ref: str | None = Field(default=None, max_length=100)
    unaccompanied_minor: bool = False
    programme_kind: ev.ProgrammeKind | None = None
    programme_starts_on: Day | None = None
    planned_end: Day | None = None
    adviser: str | None = Field(default=None, max_length=200)

    _nid = field_validator("national_id")(classmethod(lambda cls, v: valid_national_id(v)))


class StatusRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    national_id: str
    status: ev.FollowUpStatus
    preliminary: bool

    _nid = field_validator("national_id")(classmethod(lambda cls, v: valid_national_id(v)))


MAX_ROWS = 5_000
"""Rows one import takes at most (each row is its own transaction); split larger files."""
SPOOL_IN_MEMORY = 64 * 1024
"""Bytes of an upload held in memory; the rest of it waits in a temporary file."""


class Upload:
    """A CSV upload read from the request stream into a spooled file, never whole into memory.

    :meth:`rows` first checks the whole file (UTF-8, CSV quoting, NUL characters, row
    cap, row width) in one pass that keeps no rows, so a malformed file is a 422 before
    any row is imported; a second pass then hands out the rows one at a time.
    """

    def __init__(self, spool: IO[bytes], columns: tuple[str, ...]) -> None:
        self.spool = spool
        self.columns = columns

    @classmethod
    async def read(cls, request: Request, columns: tuple[str, ...]) -> Upload:
        # The kit's request limit (413) bounds the stream before it gets here.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        try:
            async for chunk in request.stream():
                spool.write(chunk)
        except BaseException:
            # A stream cut short (client gone, body over the limit) ends the request here.
            spool.close()
            raise
        return cls(spool, columns)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        self.spool.seek(0)
        text = io.TextIOWrapper(self.spool, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, strict=True)
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise _bad("The file is not UTF-8.", "not UTF-8 text") from exc
        except csv.Error as exc:
            raise _bad(
                f"The file is not valid CSV (line {reader.line_num}): {exc}.",
                f"line {reader.line_num}: {exc}",
            ) from exc
        finally:
            text.detach()

    def header(self) -> tuple[str, ...]:
        """The header row, checked against the columns; then the whole file, checked."""
        header: tuple[str, ...] = ()
        count = 0
        for line, row in self._records():
            if any("\x00" in cell for cell in row):
                raise _bad("The file contains NUL characters.", f"line {line}: NUL character")
            if not header:
                header = tuple(cell.strip() for cell in row)
                continue
            if not any(row):
                continue
            count += 1
            if count > MAX_ROWS:
                raise _bad(f"The file has more than {MAX_ROWS} rows; split it.", "too many rows")
            if len(row) > len(header):
                raise _bad(
                    f"Line {line} has {len(row)} cells, the header {len(header)}.",
                    f"line {line}: more cells than the header",
                )
        _check_header(header, self.columns)
        return header

    def rows(self) -> Iterator[dict[str, str]]:
        """The data rows as dicts of their non-empty cells, after :meth:`header` passed."""
        try:
            header = self.header()
            records = self._records()
            next(records, None)
            for _, row in records:
                if any(row):
                    yield {name: value for name, value in zip(header, row, strict=False) if value}
        finally:
            self.spool.close()


def _bad(message: str, detail: str) -> InvalidInput:
    return InvalidInput(message, [field_error("body", detail)])


def _check_header(header: tuple[str, ...], columns: tuple[str, ...]) -> None:
    unknown = [c for c in header if c not in columns]
    required = (
        {"given_name", "family_name", "birth_date", "national_id"}
        if "given_name" in columns
        else set(columns)
    )
    missing = sorted(required - set(header))
    if unknown or missing:
        raise InvalidInput(
            "The CSV header does not match.",
            [
                field_error(
                    "header",
                    f"unknown columns: {unknown}; missing columns: {missing}; expected: {list(columns)}",
                )
            ],
        )


def _row_errors(row_number: int, exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "row": row_number,
            "field": ".".join(str(p) for p in e["loc"]) or "row",
            "message": e["msg"],
        }
        for e in exc.errors()
    ]


def _consistency(row: CaseloadRow) -> list[tuple[str, str]]:
    problems = []
    if (row.settled_on is None) != (row.arrival_category is None):
        problems.append(("settled_on", "settled_on and arrival_category go together"))
    if row.settled_on and row.settled_on > today():
        problems.append(("settled_on", "settled_on is in the future"))
    if row.programme_kind and not (row.programme_starts_on and row.adviser and row.settled_on):
        problems.append(
            ("programme_kind", "a programme needs programme_starts_on, adviser and a settlement")
        )
    return problems


@router.post(
    "/caseload",
    summary="Importer en eksisterende saksliste fra CSV / Import an existing caseload from CSV",
    description="Columns: " + ", ".join(CASELOAD_COLUMNS) + ". Rows sharing a `household_ref` "
    "are settled into one household. Each row registers the person, settles them and starts "
    "the programme when given, all in one transaction. The answer reports every row; rows whose "
    "national id is already registered are skipped, so re-running a file is safe.",
    responses=problem_responses(401, 403, 413, 422),
    openapi_extra=CSV_BODY,
)
async def import_caseload(
    request: Request,
    runtime: RuntimeDep,
    principal: Caseworker,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    rows = (await Upload.read(request, CASELOAD_COLUMNS)).rows()
    households: dict[str, uuid.UUID] = {}
    report: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, raw in enumerate(rows, start=2):
        try:
            row = CaseloadRow.model_validate(raw)
        except ValidationError as exc:
            errors += _row_errors(number, exc)
            report.append({"row": number, "status": "failed"})
            continue
        problems = _consistency(row)
        if problems:
            errors += [{"row": number, "field": f, "message": m} for f, m in problems]
            report.append({"row": number, "status": "failed"})
            continue
        try:
            async with runtime.db.transaction() as conn:
                outcome = await _import_row(runtime, conn, metadata, row, households)
            runtime.relay.notify()
        except (Problem, RuleViolation) as exc:
            errors.append({"row": number, **_refusal(exc)})
            outcome = {"row": number, "status": "failed"}
        report.append({**outcome, "row": number})
    return _summary(report, errors)


async def _import_row(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    row: CaseloadRow,
    households: dict[str, uuid.UUID],
) -> dict[str, Any]:
    existing = await find_by_national_id(
        conn, runtime.settings, metadata.municipality, row.national_id
    )
    if existing is not None:
        if row.household_ref and row.household_ref not in households:
            household = await conn.scalar(
                sa.select(participant_summary.c.household_id).where(
                    participant_summary.c.participant_id == existing
                )
            )
            if household is not None:
                households[row.household_ref] = household
        return {
            "status": "skipped",
            "reason": "already registered",
            "participant_id": str(existing),
        }
    details = row.model_dump(
        mode="json", include={"given_name", "family_name", "birth_date", "national_id"}
    )
    created = await application.register_participant(
        runtime, conn, metadata, details, row.birth_date, row.gender, today()
    )
    participant_id = uuid.UUID(created.body["id"])
    if row.settled_on and row.arrival_category:
        settled = await application.settle_participant(
            runtime,
            conn,
            metadata,
            participant_id,
            settled_on=row.settled_on,
            arrival_category=row.arrival_category,
            household_id=households.get(row.household_ref) if row.household_ref else None,
            unaccompanied_minor=row.unaccompanied_minor,
            today=today(),
            expected_version=None,
        )
        if row.household_ref:
            households[row.household_ref] = uuid.UUID(settled.body["household_id"])
    if row.programme_kind and row.programme_starts_on and row.adviser:
        kind, starts_on, adviser, planned_end = (
            row.programme_kind,
            row.programme_starts_on,
            row.adviser,
            row.planned_end,
        )
        programme_id = uuid.uuid4()
        key = await application.key_for(conn, participant_id)
        await application.change(
            runtime,
            conn,
            metadata,
            participant_id,
            lambda s: domain.start_programme(
                s,
                programme_id,
                kind,
                starts_on,
                planned_end,
                personal_data.seal_optional(key, participant_id, adviser),
                today(),
            ),
        )
    return {"status": "imported", "participant_id": str(participant_id)}


def _refusal(exc: Problem | RuleViolation) -> dict[str, Any]:
    """A refused row as the report names it: field, message and, for rules, the code."""
    if isinstance(exc, RuleViolation):
        return {
            "field": exc.fields[0] if exc.fields else "row",
            "message": exc.message,
            "code": exc.code,
        }
    errors = exc.extensions.get("errors") or [{"field": "row"}]
    return {"field": errors[0].get("field", "row"), "message": exc.detail}


def _summary(report: list[dict[str, Any]], errors: list[dict[str, Any]]) -> dict[str, Any]:
    count = {
        status: sum(1 for r in report if r["status"] == status)
        for status in ("imported", "skipped", "failed")
    }
    return {"rows": len(report), **count, "errors": errors, "results": report}


@router.post(
    "/follow-up-statuses",
    summary="Importer statuser ett år etter programmet fra CSV / Import statuses one year after "
    "the programme from CSV",
    description="Columns: national_id, status, preliminary (true/false). Each row records the "
    "status for the participant's latest ended programme; a row equal to what is already "
    "recorded is skipped, so re-running is safe.",
    responses=problem_responses(401, 403, 413, 422),
    openapi_extra=CSV_BODY,
)
async def import_follow_up_statuses(
    request: Request,
    runtime: RuntimeDep,
    principal: Caseworker,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)
    rows = (await Upload.read(request, STATUS_COLUMNS)).rows()
    report: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, raw in enumerate(rows, start=2):
        try:
            row = StatusRow.model_validate(raw)
        except ValidationError as exc:
            errors += _row_errors(number, exc)
            report.append({"row": number, "status": "failed"})
            continue
        try:
            async with runtime.db.transaction() as conn:
                participant_id = await find_by_national_id(
                    conn, runtime.settings, metadata.municipality, row.national_id
                )
                if participant_id is None:
                    raise InvalidInput(
                        "No participant with this national id.",
                        [field_error("national_id", "unknown")],
                    )
                state, _ = await application.load(
                    runtime, conn, participant_id, metadata.municipality
                )
                current = state.programme
                if (
                    current is not None
                    and current.follow_up_status == row.status
                    and current.follow_up_final == (not row.preliminary)
                ):
                    report.append(
                        {
                            "row": number,
                            "status": "skipped",
                            "reason": "already recorded",
                            "participant_id": str(participant_id),
                        }
                    )
                    continue
                await application.change(
                    runtime,
                    conn,
                    metadata,
                    participant_id,
                    lambda s, r=row: domain.record_follow_up_status(  # type: ignore[misc]
                        s, r.status, r.preliminary, today()
                    ),
                )
            runtime.relay.notify()
            report.append(
                {"row": number, "status": "imported", "participant_id": str(participant_id)}
            )
        except (Problem, RuleViolation) as exc:
            errors.append({"row": number, **_refusal(exc)})
            report.append({"row": number, "status": "failed"})
    return _summary(report, errors)
