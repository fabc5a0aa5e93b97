"""Examples in the indicators service's OpenAPI document (see :mod:`shared.examples`).

Drammen's (3301) plan for 2024: the built-in indicator «share in work or education a
year after the introduction programme» (exit_work_or_education) under a goal of the
economic plan, with thresholds, a comment, the suppression threshold and the approval,
and SSB's national comparison figures (table introinnv) imported.
"""

from __future__ import annotations

from shared.examples import Examples, OperationExample

_KEY = "exit_work_or_education"
_SSB_CSV = (
    '"region";"statistikkvariabel";"år";"Sysselsatt og / eller under utdanning, i alt '
    '(prosent)"\n'
    '"0 Hele landet";"Sysselsatt og / eller under utdanning, i alt, begge kjønn (prosent)";'
    '"2023";"65"\n'
)

EXAMPLES = Examples(
    values={"key": _KEY, "period": "2024", "indicator_key": _KEY},
    schemas={
        "IndicatorIn": {"key": _KEY, "from_catalogue": _KEY},
        "IndicatorChange": {"decimals": 1},
        "ThresholdsIn": {
            "from_year": 2024,
            "to_year": 2027,
            "gap_policy": "unclassified",
            "bands": [
                {"level": "desired", "lower": 55, "lower_inclusive": False, "upper": None},
                {
                    "level": "acceptable",
                    "lower": 50,
                    "lower_inclusive": True,
                    "upper": 55,
                    "upper_inclusive": True,
                },
                {"level": "not_approved", "lower": None, "upper": 50, "upper_inclusive": False},
            ],
        },
        "CommentIn": {
            "period": "2024",
            "text": "Færre gikk til arbeid etter at hotellene kuttet praksisplasser. / Fewer "
            "went into work after the hotels cut language practice places.",
            "level": "acceptable",
        },
        "ManualValueIn": {"value": 57.5, "source": "IMDi, tall for 2024"},
        "GoalIn": {
            "key": "arbeid-og-utdanning",
            "plan_level": "kommuneplan",
            "title_nb": "Flere i arbeid eller utdanning etter introduksjonsprogrammet",
            "title_en": "More in work or education after the introduction programme",
            "owner_unit": "Flyktningtjenesten",
            "from_year": 2024,
            "to_year": 2027,
            "indicator_keys": [_KEY],
        },
        "GoalChange": {
            "plan_level": "kommuneplan",
            "title_nb": "Flere i arbeid eller utdanning etter introduksjonsprogrammet",
            "title_en": "More in work or education after the introduction programme",
            "owner_unit": "Flyktningtjenesten",
            "from_year": 2024,
            "to_year": 2028,
            "indicator_keys": [_KEY],
        },
        "SettingsIn": {"suppression_min_n": 5},
        "ApprovalIn": {"version": 3},
        "LockIn": {
            "reported_to": "Bystyret",
            "reported_on": "2025-03-20",
            "title": "Målrapport 2024",
            "kind": "goal_report",
            "lang": "nb",
        },
    },
    operations={
        "POST /indicators/comparisons/import": OperationExample(request=_SSB_CSV),
        "PUT /indicators/goals/{key}": OperationExample(path={"key": "arbeid-og-utdanning"}),
        "POST /indicators/definitions/{key}/comments": OperationExample(
            response={"key": _KEY, "version": 3, "period": "2024"}
        ),
        "PUT /indicators/settings": OperationExample(
            response={"suppression_min_n": 5, "suppression_floor": 5, "changed": True},
            rules={422: "suppression-below-floor"},
        ),
        "POST /indicators/reports/{period}/lock": OperationExample(
            response={
                "report_id": "0b8f7d52-5a4e-4a8e-9d55-1f0f3c8e2a61",
                "period": "2024",
                "kind": "goal_report",
                "reported_to": "Bystyret",
                "reported_on": "2025-03-20",
                "title": "Målrapport 2024",
                "known_as_of": "2025-03-20T08:00:00+00:00",
                "sha256": {"html": "532d934c…", "xlsx": "c1ff0807…", "pdf": "4e988738…"},
                "drilldown_sha256": "4f53cda1…",
                "drilldown_members": 46,
                "version": 1,
            },
            rules={422: "report-without-plan"},
        ),
        "POST /indicators/plan/approve": OperationExample(
            response={"plan_version": 3, "version": 2, "status": "approved"}
        ),
        "POST /indicators/evaluations": OperationExample(
            response={"municipality": "3301", "changes": []}
        ),
    },
)
