"""The indicators domain package is pure: it imports no I/O library and nothing of the
service outside ``domain`` (tables, loaders, the API), so every rule can be computed from
a snapshot alone."""

from __future__ import annotations

import ast
from pathlib import Path

import services.indicators.domain as domain

IO_PACKAGES = {"sqlalchemy", "asyncpg", "fastapi", "starlette", "httpx", "nats", "jinja2"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_domain_imports_no_io_and_nothing_of_the_service_outside_it() -> None:
    root = Path(domain.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 10
    for module in modules:
        for name in _imports(module):
            assert name.split(".")[0] not in IO_PACKAGES, (module, name)
            if name.startswith("services."):
                assert name.startswith("services.indicators.domain"), (module, name)
