"""What a rule is: its name, titles, unit, parameters, documentation and computation.

A rule's result is remembered on the snapshot it was computed from (which never changes
once built), so the scorecard, the drill-down and the evaluator share one computation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from services.indicators.domain.facts import Snapshot
from services.indicators.domain.rules.result import DATA_QUALITY_REASONS, Context, Result


class Unit(StrEnum):
    percent = "percent"
    number = "count"
    days = "days"
    nok = "nok"


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_MAX_RESULTS = 4000
"""Results remembered per snapshot before the memory is cleared (bounds a cached snapshot)."""

_PARSED: dict[tuple[str, str], Any] = {}
"""Parsed parameters by rule and JSON text (parameters are few and never change)."""


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class RuleDoc:
    value: str
    numerator: str
    denominator: str
    exclusions: str
    period_date: str
    as_of: str


@dataclass(frozen=True)
class Rule(Generic[P]):
    name: str
    title_en: str
    title_nb: str
    unit: Unit
    params_model: type[P]
    doc: RuleDoc
    compute_fn: Callable[[Snapshot, Context, P], Result]
    unit_from_params: Callable[[P], Unit] | None = None

    def parse(self, raw: dict[str, Any] | None) -> P:
        """Validated parameters (defaults filled in); raises pydantic.ValidationError."""
        return self.params_model.model_validate(raw or {})

    def compute(self, snapshot: Snapshot, context: Context, params: dict[str, Any]) -> Result:
        """The rule's result; remembered on the snapshot, which never changes once built."""
        key = (self.name, json.dumps(params, sort_keys=True), context)
        found = snapshot.results.get(key)
        if found is None:
            if len(snapshot.results) >= _MAX_RESULTS:
                snapshot.results.clear()
            found = snapshot.results[key] = self._compute(snapshot, context, params)
        assert isinstance(found, Result)
        return found

    def _compute(self, snapshot: Snapshot, context: Context, params: dict[str, Any]) -> Result:
        parsed = _PARSED.get((self.name, json.dumps(params, sort_keys=True)))
        if parsed is None:
            parsed = self.parse(params)
            if len(_PARSED) < 1000:
                _PARSED[(self.name, json.dumps(params, sort_keys=True))] = parsed
        result = self.compute_fn(snapshot, context, parsed)
        issues: dict[str, int] = {}
        for member in result.members:
            if member.reason_code in DATA_QUALITY_REASONS:
                issues[member.reason_code] = issues.get(member.reason_code, 0) + 1
        if issues:
            result = replace(result, data_quality=issues)
        if not context.ordered:
            return result
        # Counted first, then the base, then those left out; by date and id within each,
        # so a drill-down reads the same whatever order the facts were stored in.
        ordered = sorted(
            result.members,
            key=lambda m: (not m.in_numerator, not m.in_denominator, m.on or date.min, m.id),
        )
        return replace(result, members=tuple(ordered))

    def unit_for(self, params: dict[str, Any]) -> Unit:
        if self.unit_from_params is None:
            return self.unit
        return self.unit_from_params(self.parse(params))

    def defaults(self) -> dict[str, Any]:
        return self.params_model().model_dump(mode="json")

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title_en": self.title_en,
            "title_nb": self.title_nb,
            "unit": self.unit.value,
            "value": self.doc.value,
            "numerator": self.doc.numerator,
            "denominator": self.doc.denominator,
            "exclusions": self.doc.exclusions,
            "period_date": self.doc.period_date,
            "as_of": self.doc.as_of,
            "parameters": self.params_model.model_json_schema(),
            "defaults": self.defaults(),
        }


AS_OF_EVENTS = (
    "Only events their source had recorded (CloudEvent `recordedtime`) by the as-of moment; "
    "a fact dated after the as-of date (announced ahead) has not happened yet."
)
