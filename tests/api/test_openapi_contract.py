"""The committed OpenAPI documents (docs/openapi) are what the code serves.

Like the event contract (tests/unit/test_contract.py): a change to any operation,
schema or response shows up as a change to a committed file, reviewed with the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.cli import OPENAPI_DIRECTORY, openapi_documents
from shared.openapi import operations

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "VEIVISER_ENV=development .venv/bin/veiviser openapi --write"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return openapi_documents()


def changes(committed: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs, by operation (``changed POST /participants (registerParticipant)``),
    else by top-level part (``components.schemas``, ``info``)."""
    old = {(m.upper(), p): op for p, m, op in operations(committed)}
    new = {(m.upper(), p): op for p, m, op in operations(current)}
    found = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[1], k[0])):
        method, path = key
        if key not in new:
            found.append(f"removed {method} {path} ({old[key].get('operationId')})")
        elif key not in old:
            found.append(f"added {method} {path} ({new[key].get('operationId')})")
        elif old[key] != new[key]:
            found.append(f"changed {method} {path} ({new[key].get('operationId')})")
    for part in sorted(committed.keys() | current.keys()):
        if part == "paths":
            continue
        if isinstance(current.get(part), dict) and isinstance(committed.get(part), dict):
            for sub in sorted(committed[part].keys() | current[part].keys()):
                if committed[part].get(sub) != current[part].get(sub):
                    found.append(f"changed {part}.{sub}")
        elif committed.get(part) != current.get(part):
            found.append(f"changed {part}")
    return found


def test_the_five_documents_are_committed(generated: dict[str, str]) -> None:
    assert sorted(generated) == [
        "housing.json",
        "indicators.json",
        "matching.json",
        "participants.json",
        "veiviser.json",
    ]


@pytest.mark.parametrize(
    "name",
    ["participants.json", "housing.json", "matching.json", "indicators.json", "veiviser.json"],
)
def test_the_committed_openapi_document_matches_the_code(
    generated: dict[str, str], name: str
) -> None:
    path = ROOT / OPENAPI_DIRECTORY / name
    assert path.exists(), f"{path} is missing: run `{REGENERATE}` and commit docs/openapi/"
    committed_text = path.read_text(encoding="utf-8")
    if committed_text == generated[name]:
        return
    found = changes(json.loads(committed_text), json.loads(generated[name]))
    listing = "\n  ".join(found[:60] or ["formatting only"])
    more = f"\n  … and {len(found) - 60} more" if len(found) > 60 else ""
    pytest.fail(
        f"docs/openapi/{name} differs from the code:\n  {listing}{more}\n"
        f"If the change is meant, run `{REGENERATE}`, note it in docs/api/CHANGELOG.md and "
        "commit docs/openapi/ with it (docs/api/versioning.md says which changes need a "
        "new major version)."
    )


def test_a_changed_operation_is_named() -> None:
    """The report above can fail and says which operation changed."""
    document = {
        "info": {"version": "1"},
        "paths": {"/a": {"get": {"operationId": "getA", "summary": "x"}}},
    }
    edited = json.loads(json.dumps(document))
    edited["paths"]["/a"]["get"]["summary"] = "y"
    edited["paths"]["/b"] = {"post": {"operationId": "postB"}}
    edited["info"]["version"] = "2"
    assert changes(document, edited) == [
        "changed GET /a (getA)",
        "added POST /b (postB)",
        "changed info.version",
    ]
    assert changes(document, document) == []
