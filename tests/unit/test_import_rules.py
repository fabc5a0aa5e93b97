"""Who may import whom: the kit nothing above it, the services not each other.

The contracts live in ``[tool.importlinter]`` in pyproject.toml and ``make lint`` runs
them too. Import-linter sees import statements only, so a module named in a string
(``importlib.import_module("services.x.app")``) is checked here by reading the source.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.settings import SERVICES

REPO = Path(__file__).resolve().parents[2]
ABOVE_THE_KIT = ("services", "deploy", "bench", "tests")
ABOVE_THE_SERVICES = ("deploy", "bench", "tests")


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def test_the_layering_contracts_are_declared() -> None:
    declared = {str(c["id"]): c for c in contracts()}
    assert declared["kit"]["source_modules"] == ["shared"]
    assert set(declared["kit"]["forbidden_modules"]) == set(ABOVE_THE_KIT)
    assert declared["services-independent"]["type"] == "independence"
    assert set(declared["services-independent"]["modules"]) == {
        f"services.{name}" for name in SERVICES
    }
    assert declared["services-below-deploy"]["source_modules"] == ["services"]
    assert set(declared["services-below-deploy"]["forbidden_modules"]) == set(ABOVE_THE_SERVICES)


@pytest.mark.parametrize("contract", [str(c["id"]) for c in contracts()])
def test_the_import_contract_is_kept(contract: str) -> None:
    name = next(str(c["name"]) for c in contracts() if c["id"] == contract)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            "--no-logo",
            "--contract",
            contract,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"import contract {contract!r} ({name}) is broken:\n{result.stdout}{result.stderr}"
    )


# Calls that take a module by name; their first argument is what gets imported.
_BY_NAME = {"import_module", "__import__", "find_spec", "files", "import_string"}
_MODULE_PATH = re.compile(r"^([A-Za-z_]\w*)(?:[.:]|$)")


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _leading_text(node: ast.expr) -> str | None:
    """The literal start of a string argument (an f-string's text before its first field)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def modules_named_in_strings(package: Path) -> Iterator[tuple[Path, int, str]]:
    """(file, line, module) for every module a call under ``package`` names by string.

    Of an f-string only the text before its first field is known (``services.``).
    """
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) not in _BY_NAME:
                continue
            text = _leading_text(node.args[0]) if node.args else None
            if text is not None and _MODULE_PATH.match(text):
                yield path, node.lineno, text.split("{")[0]


def _root(target: str) -> str:
    return re.split(r"[.:]", target, maxsplit=1)[0]


def _service(target: str) -> str | None:
    parts = re.split(r"[.:]", target)
    return parts[1] if parts[0] == "services" and len(parts) > 1 and parts[1] else None


def test_the_kit_names_no_module_above_it_in_a_string() -> None:
    found = [
        f"{file.relative_to(REPO)}:{line} {target}"
        for file, line, target in modules_named_in_strings(REPO / "shared")
        if _root(target) in ABOVE_THE_KIT
    ]
    assert not found, "the kit imports by name what it serves:\n" + "\n".join(found)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_names_no_other_service_nor_deploy_in_a_string(service: str) -> None:
    found = [
        f"{file.relative_to(REPO)}:{line} {target}"
        for file, line, target in modules_named_in_strings(REPO / "services" / service)
        if _root(target) in ABOVE_THE_SERVICES
        or (_root(target) == "services" and _service(target) not in (None, service))
    ]
    assert not found, f"{service} imports by name what it must not:\n" + "\n".join(found)


def test_the_string_check_sees_lazy_and_formatted_names(tmp_path: Path) -> None:
    source = tmp_path / "lazy.py"
    source.write_text(
        "import importlib\n"
        "from importlib import resources\n"
        "def load(name):\n"
        "    importlib.import_module(f'services.{name}.app')\n"
        "    __import__('deploy.cli')\n"
        "    resources.files('shared.data')\n",
        "utf-8",
    )
    targets = [target for _, _, target in modules_named_in_strings(tmp_path)]
    assert targets == ["services.", "deploy.cli", "shared.data"]
