"""The typed TypeScript client (clients/typescript): it type-checks, it is generated from the
committed merged OpenAPI document, and its example script works against a running service.

The script (examples/live.ts) is compiled with tsc and run with node against a real
uvicorn process of the participants service on the suite's PostgreSQL and NATS, with a
token from ``veiviser token``: register (and the same Idempotency-Key again), settle, read
back (and again with its ETag in If-None-Match: 304), a stale If-Match (409
``version-conflict``) and bad input (422 ``validation-error``).
Its JSON lines and the service's database and API must agree afterwards.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.settings import Settings
from tests.integration.processes import ServiceProcess, service_environment

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
DOCUMENT = ROOT / "docs" / "openapi" / "veiviser.json"
GENERATED = ("schema.d.ts", "routes.ts")
PHONE = "+47 400 00 000"
LIVE_STEPS = [
    "healthz",
    "registered",
    "register-retried",
    "settled",
    "read",
    "not-modified",
    "conflict",
    "conflict-retried",
    "invalid",
    "done",
]
"""The lines examples/live.ts prints, in order (also run through the gateway in tests/docker)."""


def _node_tool(name: str) -> str:
    tool = BIN / name
    assert tool.exists(), f"{tool} is missing: run `make node-deps` (npm ci in {CLIENT})"
    return str(tool)


def _run(
    command: list[str], *, cwd: Path = CLIENT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def test_the_client_and_its_example_type_check() -> None:
    checked = _run([_node_tool("tsc"), "--noEmit", "-p", str(CLIENT)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_call_that_does_not_match_the_document_does_not_compile(tmp_path: Path) -> None:
    """The check above can fail: the same tsc rejects a body the schema does not allow
    and accepts the corrected one, so the failure is the type error's and not the setup's."""
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    index = (CLIENT / "src" / "index.js").as_posix()
    call = (
        f'import {{ createVeiviserClient }} from "{index}";\n'
        'const api = createVeiviserClient({ baseUrl: "http://127.0.0.1:1" });\n'
        'export const call = () => api.POST("/participants", {\n'
        '  body: { given_name: %s, family_name: "Tesfaye", birth_date: "1992-05-17",\n'
        '          national_id: "57059212345" },\n'
        "});\n"
    )
    (tmp_path / "right.ts").write_text(call % '"Selam"')
    (tmp_path / "wrong.ts").write_text(call % "42")
    for name in ("right", "wrong"):
        config = {
            "compilerOptions": {
                "target": "ES2022",
                "lib": ["ES2022", "DOM"],
                "module": "NodeNext",
                "moduleResolution": "NodeNext",
                "strict": True,
                "noEmit": True,
                "typeRoots": [],
            },
            "files": [f"{name}.ts"],
        }
        (tmp_path / f"tsconfig.{name}.json").write_text(json.dumps(config))

    tsc = _node_tool("tsc")
    right = _run([tsc, "-p", "tsconfig.right.json"], cwd=tmp_path)
    assert right.returncode == 0, right.stdout + right.stderr
    wrong = _run([tsc, "-p", "tsconfig.wrong.json"], cwd=tmp_path)
    assert wrong.returncode != 0
    assert "wrong.ts" in wrong.stdout and "error TS2322" in wrong.stdout, wrong.stdout


def test_the_committed_client_is_generated_from_the_committed_document(tmp_path: Path) -> None:
    """Nobody changes the API and forgets `make client`."""
    assert DOCUMENT.exists(), f"{DOCUMENT} is missing (veiviser openapi --write)"
    _node_tool("openapi-typescript")
    generated = _run(["node", "scripts/generate.mjs", str(DOCUMENT), str(tmp_path)])
    assert generated.returncode == 0, generated.stdout + generated.stderr
    for name in GENERATED:
        fresh = (tmp_path / name).read_text()
        committed = (CLIENT / "src" / name).read_text()
        if fresh != committed:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        committed.splitlines(keepends=True),
                        fresh.splitlines(keepends=True),
                        f"committed src/{name}",
                        f"generated {name}",
                    )
                )[:60]
            )
            pytest.fail(
                f"clients/typescript/src/{name} is not what docs/openapi/veiviser.json "
                f"generates: run `make client` and commit it.\n{diff}"
            )


@pytest.fixture(scope="module")
def built_client() -> Path:
    """The client and its example compiled with tsc into clients/typescript/build."""
    built = _run([_node_tool("tsc"), "-p", str(CLIENT)])
    assert built.returncode == 0, built.stdout + built.stderr
    assert (CLIENT / "build" / "src" / "index.js").exists()
    return CLIENT / "build"


def test_without_a_gateway_the_client_sends_each_path_to_its_service(
    built_client: Path, tmp_path: Path
) -> None:
    """Every path of the merged document goes where the gateway would send it: a business
    path unchanged to the one service whose own document has it, /_services/{service}/...
    to that service without the prefix. Expected from the per-service documents."""
    index = (built_client / "src" / "index.js").as_uri()
    script = tmp_path / "route.mjs"
    script.write_text(
        f'import {{ serviceFor }} from "{index}";\n'
        'import { readFileSync } from "node:fs";\n'
        "const paths = Object.keys(JSON.parse(readFileSync(process.argv[2], 'utf8')).paths);\n"
        "console.log(JSON.stringify(Object.fromEntries(paths.map((p) => [p, serviceFor(p)]))));\n"
    )
    routed = _run(["node", str(script), str(DOCUMENT)])
    assert routed.returncode == 0, routed.stdout + routed.stderr
    answers: dict[str, dict[str, str]] = json.loads(routed.stdout)

    own: dict[str, set[str]] = {}
    for service in ("participants", "housing", "matching", "indicators"):
        document = json.loads((ROOT / "docs" / "openapi" / f"{service}.json").read_text())
        for path in document["paths"]:
            own.setdefault(path, set()).add(service)
    assert len(answers) > 100
    for path, answer in answers.items():
        if path.startswith("/_services/"):
            service, rest = path.removeprefix("/_services/").split("/", 1)
            expected = {"service": service, "path": "/" + rest}
        else:
            assert len(own.get(path, ())) == 1, path
            expected = {"service": next(iter(own[path])), "path": path}
        assert answer == expected, path
        assert expected["service"] in own[expected["path"]], path


def _dev_token(env: dict[str, str]) -> str:
    """A caseworker's token from the CLI the front-end docs tell developers to use."""
    veiviser = Path(sys.executable).parent / "veiviser"
    minted = _run(
        [str(veiviser), "token", "--role", "caseworker", "--municipality", "3301"],
        cwd=ROOT,
        env=env,
    )
    assert minted.returncode == 0, minted.stdout + minted.stderr
    return minted.stdout.strip()


def _lines(output: str) -> dict[str, dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {}
    for line in output.splitlines():
        entry = json.loads(line)
        steps[entry.pop("step")] = entry
    return steps


async def test_the_live_script_registers_settles_reads_and_handles_409_and_422(
    built_client: Path, settings: Settings, tmp_path: Path
) -> None:
    script = built_client / "examples" / "live.js"
    assert script.exists()

    env = service_environment(settings)
    token = await asyncio.to_thread(_dev_token, env)
    participants = ServiceProcess("participants", env, tmp_path)
    await participants.start()
    try:
        # Only what the script reads: no gateway, one URL per service (participants here).
        script_env = {
            "PATH": os.environ["PATH"],
            "VEIVISER_TOKEN": token,
            "VEIVISER_PARTICIPANTS_URL": participants.url,
        }
        ran = await asyncio.to_thread(_run, ["node", str(script)], cwd=CLIENT, env=script_env)
        assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}\n{participants.tail()}"
        steps = _lines(ran.stdout)
        assert list(steps) == LIVE_STEPS
        participant_id = steps["registered"]["id"]
        # Registration appends two events (registered, the sealed personal details).
        registered = steps["registered"]["version"]
        assert registered == 2
        assert steps["healthz"] == {"status": 200}
        assert steps["registered"]["status"] == 201
        assert steps["registered"]["location"] == f"/participants/{participant_id}"
        assert steps["register-retried"] == {"id": participant_id, "same": True}
        assert steps["settled"]["status"] == 201
        assert steps["settled"]["version"] == registered + 1
        assert steps["settled"]["stream_version"] == registered + 1
        assert steps["settled"]["participant_status"] == "settled"
        assert steps["read"]["id"] == participant_id
        assert steps["read"]["participant_status"] == "settled"
        assert steps["read"]["version"] == registered + 1
        assert steps["read"]["settled_on"] == "2025-09-01"
        assert steps["not-modified"] == {"status": 304}
        assert steps["conflict"] == {
            "status": 409,
            "code": "version-conflict",
            "current_version": registered + 1,
        }
        assert steps["conflict-retried"] == {"version": registered + 2}
        assert steps["invalid"]["status"] == 422
        assert steps["invalid"]["code"] == "validation-error"
        assert steps["invalid"]["fields"] == ["birth_date", "national_id"]
        assert steps["done"] == {"id": participant_id}

        # The service holds what the script was told: one participant (the retried
        # registration and the bad input created none), at its last version, new phone.
        async with httpx.AsyncClient(base_url=participants.url, timeout=30.0) as client:
            read = await client.get(
                f"/participants/{participant_id}",
                headers={"Authorization": f"Bearer {token}", "X-Purpose": "test"},
            )
        assert read.status_code == 200, read.text
        view = read.json()
        assert view["version"] == registered + 2
        assert view["status"] == "settled"
        assert view["personal_data"]["phone"] == PHONE

        conn = await asyncpg.connect(
            settings.service_database_url("participants", driver="postgresql")
        )
        try:
            assert await conn.fetchval("SELECT count(*) FROM participant_summary") == 1
            events = await conn.fetch(
                "SELECT version, type FROM events WHERE stream_id = $1 ORDER BY version",
                participant_id,
            )
        finally:
            await conn.close()
        assert [row["version"] for row in events] == [1, 2, 3, 4]
        assert [row["type"].split(".")[2] for row in events] == [
            "registered",
            "personal_details_recorded",
            "settled",
            "personal_details_recorded",
        ]
    finally:
        await asyncio.to_thread(participants.terminate)
