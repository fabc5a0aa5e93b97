"""Every HTTP read sees one snapshot: no GET route, nor any function of the services it
calls or hands on, opens a connection (``db.connect()``) or a transaction
(``db.transaction()``, ``db.autocommit()``) of its own; a read opens ``db.snapshot()``.

Under READ COMMITTED each statement sees what was committed when *it* began, so an answer
put together from several statements can show half of a consumer's commit (CI once saw
a household erased while its members' ages were not yet cleared). Commands keep
``transaction()``.

The services are parsed, not imported. A GET route is a function registered by
``@router.get(...)``, ``router.get(...)(endpoint)``, a decorator factory that returns
``router.get(...)``, or ``add_generated_route(router, "GET", path, endpoint, ...)``; the
functions given to a helper that registers such a route (housing's ``view_route``) are
part of it. From each route every function it names is followed, by its name in the
module or as imported from another module of the four services.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("participants", "housing", "matching", "indicators")
ROUTE_FOLDERS = ("api", "dashboard")
OPENERS = {"connect", "transaction", "autocommit"}

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    functions: dict[str, Function]
    """The module's own top-level functions, by name."""
    imported: dict[str, str]
    """Each name ``from x import y`` brings in, as ``x.y``."""


@dataclass(frozen=True)
class Found:
    module: Module
    function: Function

    def where(self) -> str:
        return f"{self.module.path.relative_to(REPO)}:{self.function.lineno} {self.function.name}"


def _modules() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for service in SERVICES:
        for path in sorted((REPO / "services" / service).rglob("*.py")):
            dotted = ".".join(path.relative_to(REPO).with_suffix("").parts)
            tree = ast.parse(path.read_text("utf-8"), str(path))
            functions = {n.name: n for n in tree.body if isinstance(n, Function)}
            imported = {
                alias.asname or alias.name: f"{node.module}.{alias.name}"
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                for alias in node.names
            }
            modules[dotted.removesuffix(".__init__")] = Module(path, tree, functions, imported)
    return modules


MODULES = _modules()


def _resolve(module: Module, expr: ast.expr) -> Found | None:
    """The function of the services ``expr`` names (``f``, ``queries.f``), if any."""
    if isinstance(expr, ast.Name):
        if expr.id in module.functions:
            return Found(module, module.functions[expr.id])
        target = module.imported.get(expr.id)
    elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        owner = module.imported.get(expr.value.id)
        target = f"{owner}.{expr.attr}" if owner else None
    else:
        return None
    return _defined(target) if target is not None else None


def _defined(target: str) -> Found | None:
    """The function ``x.y`` names: ``y`` of module ``x``, or what ``x`` imported as ``y``."""
    owner, _, name = target.rpartition(".")
    module = MODULES.get(owner)
    if module is None:
        return None
    if name in module.functions:
        return Found(module, module.functions[name])
    again = module.imported.get(name)
    return _defined(again) if again is not None and again != target else None


def _own_nodes(function: Function) -> Iterator[ast.AST]:
    """The function's nodes, not those of the functions defined in it."""
    for child in ast.iter_child_nodes(function):
        yield from _walk_outside_functions(child)


def _walk_outside_functions(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    if not isinstance(node, Function):
        for child in ast.iter_child_nodes(node):
            yield from _walk_outside_functions(child)


def _is_router_get(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
    )


def _called(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name
    )


def _generated_get_endpoints(function: Function) -> list[Function]:
    """The endpoints ``function`` registers with ``add_generated_route(router, "GET", …)``."""
    names = {
        node.args[3].id
        for node in _own_nodes(function)
        if _called(node, "add_generated_route")
        and isinstance(node, ast.Call)
        and len(node.args) > 3
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "GET"
        and isinstance(node.args[3], ast.Name)
    }
    return [n for n in _own_nodes(function) if isinstance(n, Function) and n.name in names]


def _registers_gets(found: Found) -> bool:
    """A decorator factory returning ``router.get(…)``, or a helper registering a GET."""
    returns_get = any(
        isinstance(n, ast.Return) and n.value is not None and _is_router_get(n.value)
        for n in _own_nodes(found.function)
    )
    return returns_get or bool(_generated_get_endpoints(found.function))


def _named(module: Module, node: ast.AST) -> Iterator[Found]:
    """Every function of the services named anywhere in ``node``."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name | ast.Attribute):
            found = _resolve(module, inner)
            if found is not None:
                yield found


def _routes(module: Module) -> Iterator[Found]:
    """The module's GET routes, and what it hands to helpers that register them."""
    for node in ast.walk(module.tree):
        if isinstance(node, Function):
            for decorator in node.decorator_list:
                factory = (
                    _resolve(module, decorator.func) if isinstance(decorator, ast.Call) else None
                )
                if _is_router_get(decorator) or (factory and _registers_gets(factory)):
                    yield Found(module, node)
            for endpoint in _generated_get_endpoints(node):
                yield Found(module, endpoint)
        elif isinstance(node, ast.Call):
            if _is_router_get(node.func):
                for argument in node.args:
                    yield from _named(module, argument)
            helper = _resolve(module, node.func)
            if helper is not None and _registers_gets(helper):
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    yield from _named(module, argument)


def _opens_a_connection(node: ast.AST) -> bool:
    """``….db.connect()``, ``db.transaction()`` and the like."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in OPENERS
    ):
        return False
    on = node.func.value
    return (isinstance(on, ast.Attribute) and on.attr == "db") or (
        isinstance(on, ast.Name) and on.id == "db"
    )


def violations() -> list[str]:
    """Each place a GET route reaches that opens a connection other than a snapshot."""
    routes = [
        route
        for module in MODULES.values()
        if module.path.relative_to(REPO).parts[2] in ROUTE_FOLDERS
        for route in _routes(module)
    ]
    reached: dict[tuple[Path, int], tuple[Found, Found]] = {}
    for route in routes:
        waiting = [route]
        while waiting:
            found = waiting.pop()
            key = (found.module.path, found.function.lineno)
            if key in reached:
                continue
            reached[key] = (found, route)
            waiting.extend(_named(found.module, found.function))
    places = set()
    for found, route in reached.values():
        for node in ast.walk(found.function):
            if _opens_a_connection(node):
                assert isinstance(node, ast.Call)
                path = found.module.path.relative_to(REPO)
                places.add(
                    f"{path}:{node.lineno} {ast.unparse(node)} in {found.function.name} "
                    f"(GET route {route.where()})"
                )
    return sorted(places)


def test_the_routes_are_found() -> None:
    """The ways of registering a GET route above are the ones the services use."""
    names = {
        (route.module.path.name, route.function.name)
        for module in MODULES.values()
        for route in _routes(module)
    }
    assert ("participants.py", "get_participant") in names  # @router.get
    assert ("households.py", "report") in names  # a decorator factory returning .get(...)
    assert ("taxonomy.py", "_search") in names  # router.get(...)(endpoint)
    assert ("common.py", "endpoint") in names  # add_generated_route(..., "GET", ...)
    assert ("applications.py", "application_view") in names  # given to view_route
    assert ("pages.py", "scorecard_page") in names  # the dashboard


def test_every_read_opens_a_snapshot() -> None:
    found = violations()
    assert not found, "GET routes reading outside db.snapshot():\n" + "\n".join(found)
