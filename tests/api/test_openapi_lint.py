"""Redocly's recommended ruleset passes on the five committed OpenAPI documents.

No errors and no warnings: a warning Veiviser keeps on purpose is named, with its
reason, in docs/openapi/.redocly.lint-ignore.yaml (config: docs/openapi/redocly.yaml).
The committed documents are the code's (tests/api/test_openapi_contract.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "openapi"
REDOCLY = ROOT / "clients" / "typescript" / "node_modules" / ".bin" / "redocly"
DOCUMENTS = [
    "participants.json",
    "housing.json",
    "matching.json",
    "indicators.json",
    "veiviser.json",
]

pytestmark = pytest.mark.timeout(300)


def lint(name: str) -> dict[str, Any]:
    assert REDOCLY.exists(), f"{REDOCLY} is missing: run `make node-deps`"
    result = subprocess.run(
        [str(REDOCLY), "lint", name, "--config", "redocly.yaml", "--format", "json"],
        cwd=FOLDER,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("name", DOCUMENTS)
def test_redocly_recommended_rules_pass(name: str) -> None:
    report = lint(name)
    problems = [
        f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
        for p in report["problems"]
    ]
    totals = report["totals"]
    assert (totals["errors"], totals["warnings"]) == (0, 0), "\n".join(problems)


def test_the_lint_can_fail(tmp_path: Path) -> None:
    """A document without security, servers and 4xx responses gets Redocly's warnings."""
    broken = json.loads((FOLDER / "housing.json").read_text(encoding="utf-8"))
    broken.pop("servers")
    del broken["info"]["license"]
    for item in broken["paths"].values():
        for operation in item.values():
            operation.pop("security", None)
    (tmp_path / "redocly.yaml").write_text(
        (FOLDER / "redocly.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for name in DOCUMENTS:
        (tmp_path / name).write_text(json.dumps(broken), encoding="utf-8")
    result = subprocess.run(
        [str(REDOCLY), "lint", "housing.json", "--config", "redocly.yaml", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    report = json.loads(result.stdout)
    rules = {p["ruleId"] for p in report["problems"]}
    assert {"security-defined", "no-empty-servers", "info-license"} <= rules, rules
