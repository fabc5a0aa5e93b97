"""The financing schemes of an employer package: amounts and conditions as dated data.

The numbers live in ``services/matching/data/financing.json`` (:mod:`shared.dated`), one
table per scheme, every entry with its source; a municipality replaces the file with its
own copy in ``VEIVISER_RULE_DATA_DIR``. A scheme is offered for an opening as of the
opening's start (or today, when it started already), so a package made in December for a
January start shows January's rules. An amount the data leaves ``null``, or an entry
whose source says *to be verified*, is shown as such: the employer confirms with the
provider before relying on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from shared import dated

DATA_PACKAGE = "services.matching.data"
DATA_RESOURCE = "financing.json"
TO_BE_VERIFIED = "to be verified"

Say = Callable[..., str]


@cache
def tables() -> dict[str, dated.DatedTable]:
    return dated.load(DATA_PACKAGE, DATA_RESOURCE)


def _amount(raw: dict[str, Any], locale: str, say: Say) -> dict[str, Any]:
    value = raw.get("value")
    unit = str(raw["unit"])
    if value is None:
        shown = say("package.amount.unknown")
    elif unit == "share":
        shown = say("package.amount.share", percent=_number(float(value) * 100, locale))
    elif unit == "g":
        shown = say("package.amount.g", times=_number(float(value), locale))
    else:
        shown = say("package.amount.nok", amount=_thousands(int(value), locale))
    return {
        "code": raw["code"],
        "label": say(f"financing.amount.{raw['code']}"),
        "value": value,
        "unit": unit,
        "shown": shown,
    }


def _number(value: float, locale: str) -> str:
    shown = f"{value:g}"
    return shown if locale == "en" else shown.replace(".", ",")


def _thousands(value: int, locale: str) -> str:
    grouped = f"{value:,}"
    return grouped if locale == "en" else grouped.replace(",", "\u00a0")


def options(kind: str, on: date, locale: str, say: Say) -> list[dict[str, Any]]:
    """Every scheme in force ``on``, whether it applies to an opening of ``kind``, with its
    amounts, conditions and source (schemes not yet in force that day are left out)."""
    found: list[dict[str, Any]] = []
    for code, table in tables().items():
        try:
            entry = table.entry_on(on)
        except LookupError:
            continue
        value: dict[str, Any] = entry.value
        found.append(
            {
                "code": code,
                "scheme": say(f"financing.{code}"),
                "note": say(f"financing.{code}.note"),
                "provider": value["provider"],
                "provider_label": say(f"financing.provider.{value['provider']}"),
                "applies": kind in value["applies_to"],
                "applies_to": list(value["applies_to"]),
                "amounts": [_amount(a, locale, say) for a in value["amounts"]],
                "max_months": value.get("max_months"),
                "conditions": [
                    {"code": c, "text": say(f"financing.condition.{c}")}
                    for c in value["conditions"]
                ],
                "valid_from": entry.valid_from.isoformat(),
                "as_of": on.isoformat(),
                "source": entry.source,
                "verified": TO_BE_VERIFIED not in entry.source.lower()
                and all(a.get("value") is not None for a in value["amounts"]),
            }
        )
    return found
