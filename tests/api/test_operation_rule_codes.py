"""Each operation names the rule codes its own code can answer (``x-rule-codes``).

Read off the code an endpoint reaches (shared.rule_usage); checked against the refusals
the services' examples declare per operation, which the examples test sends to the
running services, and against each service's own rule catalogue.
"""

from __future__ import annotations

import importlib

import pytest

from services.participants.domain.rules import NOT_A_MINOR
from shared.openapi import operations
from shared.rule_usage import rules_reached
from shared.rules import catalogue
from shared.settings import Settings

SERVICES = ("participants", "housing", "matching", "indicators")


def _document(service: str, settings: Settings) -> dict:  # type: ignore[type-arg]
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    return app.openapi()


@pytest.mark.parametrize("service", SERVICES)
def test_every_refusal_an_example_shows_is_among_its_operations_codes(
    service: str, settings: Settings
) -> None:
    document = _document(service, settings)
    declared = importlib.import_module(f"services.{service}.api.examples").EXAMPLES.operations
    by_key = {f"{method.upper()} {path}": op for path, method, op in operations(document)}
    checked = 0
    for key, example in declared.items():
        for status, code in example.rules.items():
            found = by_key[key].get("x-rule-codes", {}).get(str(status), [])
            assert code in found, (key, status, code, found)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("service", SERVICES)
def test_the_codes_are_the_services_own_and_answer_their_status(
    service: str, settings: Settings
) -> None:
    document = _document(service, settings)
    own = {rule.code: rule.status for rule in catalogue.for_service(service)}
    listed = 0
    for path, method, operation in operations(document):
        for status, codes in operation.get("x-rule-codes", {}).items():
            assert status in operation["responses"], (method, path, status)
            for code in codes:
                assert own.get(code) == int(status), (method, path, code)
                listed += 1
            assert f"`{codes[0]}`" in operation["description"]
    assert listed > 0


def test_a_settlement_names_the_age_rule_its_decision_enforces(settings: Settings) -> None:
    document = _document("participants", settings)
    settle = document["paths"]["/participants/{participant_id}/settlement"]["post"]
    assert NOT_A_MINOR.code in settle["x-rule-codes"]["422"]
    register = document["paths"]["/participants"]["post"]
    assert NOT_A_MINOR.code not in register.get("x-rule-codes", {}).get("422", [])


def _helper_that_refuses() -> None:
    raise NOT_A_MINOR.violation("never raised here", "field")


def test_rules_are_found_through_helpers_closures_and_partials() -> None:
    import functools

    def outer() -> None:
        _helper_that_refuses()

    def factory():  # type: ignore[no-untyped-def]
        refuse = functools.partial(_helper_that_refuses)

        def endpoint() -> None:
            refuse()

        return endpoint

    assert rules_reached([outer]) == {NOT_A_MINOR}
    assert rules_reached([factory()]) == {NOT_A_MINOR}
    assert rules_reached([lambda: None]) == set()
