"""Dated rule data: numbers the law or a regulation sets, each valid from a day, with its source.

Rates, limits and deadlines change by amendment (the base amount G every 1 May, an age
limit by a new regulation), so a service never keeps them as code constants. It ships
them as a JSON document of named tables, each a list of entries valid from a date
until the next entry's date, every entry naming its source::

    {
      "grunnbelop": {
        "description": "The National Insurance base amount (G), kroner a year",
        "entries": [
          {"valid_from": "2024-05-01", "value": 124028, "source": "Prop. ... / nav.no"},
          {"valid_from": "2025-05-01", "value": 130160, "source": "..."}
        ]
      }
    }

A value is asked for as of a day (:meth:`DatedTable.on`): the entry in force that day.
A municipality may keep its own copies of the documents in one folder, named by
``VEIVISER_RULE_DATA_DIR``: a file there with a shipped document's name replaces it
(the others stay as shipped). :func:`load` checks a document's shape whole, so a bad
file is refused with where it is wrong instead of giving a wrong number later.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any


class DatedDataError(ValueError):
    """The document is not a valid set of dated tables (named in the message)."""


@dataclass(frozen=True)
class Entry:
    """One value of a table and the first day it applies."""

    valid_from: date
    value: Any
    source: str


@dataclass(frozen=True)
class DatedTable:
    """A named value that changes over time; entries sorted by ``valid_from``."""

    name: str
    description: str
    entries: tuple[Entry, ...]

    def entry_on(self, day: date) -> Entry:
        """The entry in force on ``day``.

        Raises :class:`LookupError` for a day before the first entry: the rule was not
        in force then, and guessing a value would be wrong.
        """
        index = bisect_right([e.valid_from for e in self.entries], day) - 1
        if index < 0:
            raise LookupError(
                f"{self.name} has no value before {self.entries[0].valid_from.isoformat()}"
            )
        return self.entries[index]

    def on(self, day: date) -> Any:
        """The value in force on ``day`` (see :meth:`entry_on`)."""
        return self.entry_on(day).value

    def as_json(self) -> dict[str, Any]:
        """The table as served to clients: every entry with its dates and source."""
        return {
            "name": self.name,
            "description": self.description,
            "entries": [
                {"valid_from": e.valid_from.isoformat(), "value": e.value, "source": e.source}
                for e in self.entries
            ],
        }


def parse(document: Mapping[str, Any], origin: str = "document") -> dict[str, DatedTable]:
    """The tables of a parsed JSON document, each checked: dates, order, a source per entry."""
    tables: dict[str, DatedTable] = {}
    for name, table in document.items():
        if name.startswith("$"):
            continue
        if not isinstance(table, Mapping) or not isinstance(table.get("entries"), list):
            raise DatedDataError(f"{origin}: {name} needs a list of entries")
        entries: list[Entry] = []
        for position, raw in enumerate(table["entries"]):
            where = f"{origin}: {name}.entries[{position}]"
            if not isinstance(raw, Mapping) or "value" not in raw:
                raise DatedDataError(f"{where} needs valid_from, value and source")
            try:
                valid_from = date.fromisoformat(str(raw.get("valid_from")))
            except ValueError as error:
                raise DatedDataError(f"{where}.valid_from is not a date") from error
            source = raw.get("source")
            if not isinstance(source, str) or not source.strip():
                raise DatedDataError(f"{where}.source must name where the value comes from")
            if entries and valid_from <= entries[-1].valid_from:
                raise DatedDataError(f"{where}.valid_from must come after the entry before")
            entries.append(Entry(valid_from, raw["value"], source))
        if not entries:
            raise DatedDataError(f"{origin}: {name} has no entries")
        tables[name] = DatedTable(name, str(table.get("description", "")), tuple(entries))
    return tables


LOCAL_COPIES = "VEIVISER_RULE_DATA_DIR"
"""The environment variable naming the folder of a municipality's own copies."""


def local_copy(resource: str) -> Path | None:
    """The municipality's own copy of ``resource``, when its folder holds one."""
    folder = os.environ.get(LOCAL_COPIES)
    if not folder:
        return None
    candidate = Path(folder) / Path(resource).name
    return candidate if candidate.is_file() else None


def load(package: str, resource: str, override: Path | None = None) -> dict[str, DatedTable]:
    """The tables of a document shipped in ``package``; ``override``, or else the
    municipality's own copy in :data:`LOCAL_COPIES`, replaces it when there is one."""
    override = override or local_copy(resource)
    if override is not None:
        text = override.read_text("utf-8")
        origin = str(override)
    else:
        text = resources.files(package).joinpath(resource).read_text("utf-8")
        origin = f"{package}/{resource}"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatedDataError(f"{origin}: not JSON ({error})") from error
    if not isinstance(document, Mapping):
        raise DatedDataError(f"{origin}: the document must be an object of tables")
    return parse(document, origin)
