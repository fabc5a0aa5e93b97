"""Which rules an endpoint can answer with, found by reading the code it reaches.

A front-end branches on a refusal's ``code``; the OpenAPI document tells it, per
operation, which codes that operation can give. Declaring them by hand beside every route
would drift from the decision functions, so they are read off the code: the endpoint, the
functions, closures (a declared command's ``decide`` and ``aggregate``) and module
attributes it names, and the methods of the classes it reaches, for every
:class:`~shared.rules.Rule` constant among them.

This over-approximates a little (a rule named in a branch the operation never takes is
listed) and never follows code outside the project's own packages.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
from collections.abc import Iterable, Iterator
from typing import Any

from shared.rules import Rule

OWN_PACKAGES = ("services.", "shared.")
"""Only code of these packages is followed (and ``tests.`` for the kit's own tests)."""


def _own(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.startswith(OWN_PACKAGES) or module.startswith("tests.")


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _named(function: types.FunctionType) -> Iterator[Any]:
    """What ``function``'s code names: globals, their attributes, closure cells."""
    names: set[str] = set()
    for code in _code_objects(function.__code__):
        names.update(code.co_names)
    scope = function.__globals__
    for name in names:
        if name not in scope:
            continue
        value = scope[name]
        yield value
        if isinstance(value, types.ModuleType) and value.__name__.startswith(OWN_PACKAGES):
            for attribute in names:
                found = getattr(value, attribute, None)
                if found is not None:
                    yield found
    for cell in function.__closure__ or ():
        try:
            yield cell.cell_contents
        except ValueError:
            continue


def rules_reached(entry_points: Iterable[Any]) -> set[Rule]:
    """Every rule constant the code of ``entry_points`` (functions) reaches."""
    found: set[Rule] = set()
    seen: set[int] = set()
    pending = list(entry_points)
    while pending:
        obj = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Rule):
            found.add(obj)
        elif isinstance(obj, functools.partial):
            pending.append(obj.func)
        elif inspect.ismethod(obj):
            pending.append(obj.__func__)
        elif isinstance(obj, types.FunctionType):
            if _own(obj):
                pending.extend(_named(obj))
        elif inspect.isclass(obj):
            if _own(obj):
                pending.extend(
                    member
                    for name, member in vars(obj).items()
                    if not name.startswith("__")
                    and isinstance(member, types.FunctionType | staticmethod | classmethod)
                )
        elif isinstance(obj, staticmethod | classmethod):
            pending.append(obj.__func__)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type) and _own(type(obj)):
            pending.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
    return found
