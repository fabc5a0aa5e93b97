"""Rule violations with stable codes: the one way a domain refuses a command.

Every invariant a domain enforces is a :class:`Rule` declared once, with a stable
``code`` (``overlapping-leave``, ``tenancy-overlap``), the HTTP status it answers
(409 when the current state forbids the command, 422 when the command's own values
are impossible) and a title. A domain raises ``RULE.violation(message, fields...)``;
the HTTP kit renders it as RFC 9457 problem details whose ``type`` is
``https://veiviser.no/problems/<code>`` and whose ``code`` is the rule's code, so a
front-end can translate the message and react to it. :data:`catalogue` lists every
rule for the OpenAPI document and the README.

What a person reads comes from the catalogs (:mod:`shared.i18n`), keyed by the code:

* ``rule.<code>.title`` — the short title (bokmål, nynorsk, English);
* ``rule.<code>.detail`` — what the rule says, citing the section of the law where one
  decides it; the Norwegian ``detail`` of a violation;
* ``rule.<code>.message`` (optional) — a Norwegian sentence with ``{name}`` fields filled
  from the violation's ``facts`` (dates as ``dd.mm.yyyy``), used instead of ``detail``
  when every field it names is among the facts.

The message a domain raises stays English and specific (ids, dates, values): it is
the ``detail`` an English reader gets and ``detail_en`` beside a Norwegian one, and the
machine-readable ``facts`` carry the same values for any language. Codes never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.i18n import ENGLISH, Catalog, fields_of, fill, norwegian_chain
from shared.problems import localised_params


class RuleViolation(Exception):
    """A command the domain refuses; carries the rule, the fields and dates involved."""

    def __init__(
        self,
        rule: Rule,
        message: str,
        fields: tuple[str, ...] = (),
        facts: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.current_version: int | None = None
        self.rule = rule
        self.message = message
        self.fields = fields
        self.facts = {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in (facts or {}).items()
        }

    @property
    def code(self) -> str:
        return self.rule.code

    def at_version(self, version: int) -> RuleViolation:
        """The same violation, telling the client the aggregate's current version."""
        self.current_version = version
        return self

    @property
    def status(self) -> int:
        return self.rule.status

    def title_in(self, locale: str, texts: Catalog | None) -> str:
        """The rule's title in ``locale``."""
        return self.rule.title_in(locale, texts)

    def detail_in(self, locale: str, texts: Catalog | None) -> str:
        """What went wrong, for a reader of ``locale`` (see the module's docstring)."""
        if texts is None or locale == ENGLISH:
            return self.message
        params = localised_params(self.facts, locale)
        chain = norwegian_chain(locale)
        specific = texts.find(f"rule.{self.code}.message", locale, chain)
        if specific is not None and fields_of(specific) <= params.keys():
            return fill(specific, params)
        general = texts.find(f"rule.{self.code}.detail", locale, chain)
        if general is None:
            return self.message
        named = texts.find("rule.fields", locale, chain) if self.fields else None
        detail = fill(general, params)
        return (
            detail
            if named is None
            else f"{detail} {fill(named, {'fields': ', '.join(self.fields)})}"
        )


@dataclass(frozen=True)
class Rule:
    """One invariant: a stable code, the status it answers and a short title."""

    code: str
    status: int
    title: str
    service: str = "kit"
    description: str = ""

    def violation(self, message: str, *fields: str, **facts: Any) -> RuleViolation:
        """The exception to raise: ``message`` names the fields and dates involved."""
        return RuleViolation(self, message, tuple(fields), facts)

    def title_in(self, locale: str, texts: Catalog | None) -> str:
        """The title in ``locale`` (``rule.<code>.title``), else the declared English one."""
        if texts is None:
            return self.title
        return texts.find(f"rule.{self.code}.title", locale) or self.title

    def description_in(self, locale: str, texts: Catalog | None) -> str:
        """What the rule says in ``locale`` (``rule.<code>.detail``), else the declared one."""
        if texts is None:
            return self.description
        return texts.find(f"rule.{self.code}.detail", locale) or self.description


@dataclass
class RuleCatalogue:
    """Every declared rule, by code; a code declared twice must mean the same rule."""

    rules: dict[str, Rule] = field(default_factory=dict)
    # A code two services declare alike (before-settlement) is listed for both.
    declared_by: dict[str, set[str]] = field(default_factory=dict)
    # Each service's own declaration: two services word a shared code's description for
    # their own facts, and which module is imported first must not decide what a
    # service's /problems and OpenAPI document say.
    own: dict[tuple[str, str], Rule] = field(default_factory=dict)

    def declare(
        self, code: str, status: int, title: str, service: str = "kit", description: str = ""
    ) -> Rule:
        if status not in (409, 422):
            raise ValueError(f"rule {code!r}: a rule answers 409 or 422, not {status}")
        rule = Rule(code, status, title, service, description)
        known = self.rules.get(code)
        if known is not None and (known.status, known.title) != (status, title):
            raise ValueError(f"rule {code!r} is declared twice with different meanings")
        self.rules.setdefault(code, rule)
        self.declared_by.setdefault(code, set()).add(service)
        return self.own.setdefault((code, service), rule)

    def find(self, code: str, service: str | None = None) -> Rule | None:
        """The rule ``code`` as ``service`` declared it (else as first declared)."""
        if service is not None and (code, service) in self.own:
            return self.own[(code, service)]
        return self.rules.get(code)

    def for_service(self, service: str) -> list[Rule]:
        return sorted(
            (
                self.own.get((r.code, service), r)
                for r in self.rules.values()
                if r.service == "kit" or service in self.declared_by.get(r.code, ())
            ),
            key=lambda r: r.code,
        )


catalogue = RuleCatalogue()
"""The process-wide list of rules (constants, declared when their module is imported)."""


def rule(code: str, status: int, title: str, service: str = "kit", description: str = "") -> Rule:
    """Declare a rule in :data:`catalogue` and return it."""
    return catalogue.declare(code, status, title, service, description)


# Rules shared by every service's timelines.
DATE_OUT_OF_RANGE = rule(
    "date-out-of-range",
    422,
    "Date outside the plausible window",
    description="Dates lie between 1900-01-01 and 2199-12-31, and day arithmetic stays there.",
)
FUTURE_FACT = rule(
    "future-fact",
    422,
    "Fact dated in the future",
    description="A fact that has happened cannot be dated after today; record a plan instead "
    "where the command offers one.",
)
DATE_ORDER = rule(
    "date-order",
    422,
    "Dates out of order",
    description="An end lies before its start, or a fact lies before the fact it follows.",
)
UNKNOWN_CODE = rule(
    "unknown-code",
    422,
    "Unknown code",
    description="A value from a closed list (kommunenummer, ISO 639 language, licence class) "
    "that the list does not hold.",
)
MISSING_FIELD = rule(
    "missing-field",
    422,
    "Required field missing",
    description="A field the command needs in this case is absent.",
)
