"""Examples in the participants service's OpenAPI document (see :mod:`shared.examples`).

One made-up person's case, in order: Selam Tesfaye (a synthetic D-number, valid by its
check digits only) is settled in Drammen (3301) on 1 March 2024 as a resettlement
refugee, granted the introduction programme under integreringsloven § 8 first paragraph,
starts it on 2 April 2024 with adviser Kari Nordmann, trains Norwegian and works as a
cook in training (STYRK 5120, ESCO «cook»), and ends the programme in work.
"""

from __future__ import annotations

from shared.examples import (
    COOK_STYRK,
    FOOD_SAFETY_ESCO,
    NATIONAL_ID,
    Examples,
    OperationExample,
    example_id,
)

_CONTRACT = (
    "Selam deltar i introduksjonsprogrammet på heltid: norskopplæring og språkpraksis som "
    "kokk. Kommunen gir veiledning hver måned. / Selam takes part full time: Norwegian "
    "training and language practice as a cook; the municipality gives guidance monthly."
)

# The municipal deadline the examples create, list and retire.
_PLAN_RULE = {
    "code": "plan-within-3-months",
    "after": "settled_on",
    "met_by": "plan_revised",
    "days": 90,
    "label_nb": "Integreringsplan innen tre måneder",
    "label_en": "Integration plan within three months",
}
_IMPORTED = {
    "rows": 1,
    "imported": 1,
    "skipped": 0,
    "failed": 0,
    "errors": [],
    "results": [{"row": 2, "status": "imported", "participant_id": example_id("participant_id")}],
}

EXAMPLES = Examples(
    values={
        "adviser": "Kari Nordmann",
        "status": "in_programme",
        "year": 2024,
    },
    schemas={
        "ChangeAccepted": {"status": "in_programme", "version": 7},
        "Settled": {"status": "settled", "household_size": 4},
        "CaseloadMoved": {
            "from_adviser": "Kari Nordmann",
            "requested": 1,
            "moved": 1,
            "refused": 0,
            "results": [
                {"participant_id": example_id("participant_id"), "result": "moved", "version": 8}
            ],
        },
        "Submitted": {
            "year": 2024,
            "reported": 46,
            "unchanged": 0,
            "late_registration_until": "2025-02-28",
            "counts_in_final_figures": True,
        },
        "DeadlineRules": {
            "facts": [
                {"code": "settled_on", "label": "Bosetting"},
                {"code": "plan_revised", "label": "Integreringsplan"},
            ],
            "act": [
                {
                    "name": "programme_decision",
                    "description": "Vedtak om introduksjonsprogram: senest tre måneder etter "
                    "bosetting.",
                    "entries": [
                        {
                            "valid_from": "2021-01-01",
                            "value": {
                                "after": "settled_on",
                                "months": 3,
                                "met_by": "programme_decision",
                            },
                        }
                    ],
                }
            ],
            "municipal": [_PLAN_RULE],
        },
        "PersonalDetailsChange": {"family_name": "Tesfaye Haile"},
        "Settle": {"settled_on": "2024-03-01", "arrival_category": "resettlement_refugee"},
        "MoveOut": {"moved_on": "2025-06-15", "to_municipality": "3303"},
        "Death": {"died_on": "2025-11-03"},
        "Emigration": {"emigrated_on": "2025-10-01"},
        "HouseholdDeparture": {"left_on": "2025-02-01"},
        "StartProgramme": {
            "kind": "introduction",
            "starts_on": "2024-04-02",
            "planned_end": "2026-04-01",
        },
        "Pause": {"kind": "leave", "from_date": "2024-12-16", "to_date": "2025-01-05"},
        "Resume": {"resumed_on": "2025-01-06"},
        "Complete": {
            "ended_on": "2026-03-31",
            "reason": "completed",
            "outcome": "work_full_time",
            "hours_per_week": 37.5,
            "end_reason": "work",
        },
        "RecordOutcome": {"outcome": "work_full_time", "hours_per_week": 37.5},
        "services__participants__api__programme__FollowUpStatus": {
            "status": "employed",
            "preliminary": False,
        },
        "NorwegianTest": {"sub_test": "oral", "level": "B1", "taken_on": "2025-05-20"},
        "Plan": {
            "valid_from": "2024-04-15",
            "end_goal": "work",
            "norwegian_goal": "B1",
            "goal_description": "Fast arbeid som kokk. / Permanent work as a cook.",
            "activities": [
                {
                    "kind": "norwegian_training",
                    "hours_per_week": 15,
                    "provider": "Drammen voksenopplæring",
                    "starts_on": "2024-04-15",
                },
                {
                    "kind": "language_practice",
                    "hours_per_week": 15,
                    "provider": "Fjordhotellet AS",
                    "starts_on": "2024-09-02",
                    "ends_on": "2025-06-20",
                },
            ],
        },
        "FollowUp": {
            "held_on": "2024-10-01",
            "adviser": "Kari Nordmann",
            "note": "Språkpraksisen går bra. / The language practice goes well.",
        },
        "Absence": {
            "on": "2024-10-07",
            "hours": 3,
            "valid_reason": True,
            "kind": "absence",
            "activity": "norwegian_training",
        },
        "CompetenceProfile": {
            "education": [
                {"level": "upper_secondary", "country": "ER", "years": 12, "recognised": False}
            ],
            "work_experience": [
                {
                    "isco_code": COOK_STYRK,
                    "years": 4,
                    "description": "Kokk på restaurant. / Cook in a restaurant.",
                }
            ],
            "skills": [FOOD_SAFETY_ESCO],
            "languages": [{"language": "ti", "level": "C1"}, {"language": "en", "level": "B1"}],
            "driving_licences": ["B"],
            "wishes": {"hours_per_week": 37.5, "municipalities": ["3301", "3312"]},
            "consent": {
                "education": True,
                "work_experience": True,
                "skills": True,
                "languages": True,
                "norwegian": True,
                "driving_licences": True,
                "wishes": True,
            },
        },
        "SuggestionDecision": {"confirm": [FOOD_SAFETY_ESCO], "reject": []},
        "CreateDeadlineRule": _PLAN_RULE,
        "ChangeAdviser": {"adviser": "Ola Hansen"},
        "RecordTransfer": {"to_municipality": "3303", "moved_on": "2025-06-15"},
        "AcceptTransfer": {"moved_in_on": "2025-06-15"},
        "DeclineTransfer": {"reason": "not_resident"},
        "RecordCategory": {
            "category": "refugee",
            "valid_from": "2024-03-01",
            "permit_granted_on": "2024-01-15",
        },
        "Decide": {
            "scheme": "introduction_programme",
            "decided_on": "2024-03-20",
            "legal_basis": "il-8-1",
            "granted": True,
        },
        "LodgeComplaint": {"lodged_on": "2024-04-05"},
        "ResolveComplaint": {
            "resolved_on": "2024-05-02",
            "outcome": "rejected",
            "resolved_by": "county_governor",
        },
        "RecordMapping": {
            "mapped_on": "2024-03-12",
            "education_level": "upper_secondary",
            "upper_secondary_completed": True,
        },
        "RecordGuidance": {"guided_on": "2024-03-19"},
        "AgreeContract": {"agreed_on": "2024-04-15", "content": _CONTRACT},
        "SignContract": {"revision": 1, "signed_on": "2024-04-16"},
        "ReviseContract": {"revised_on": "2024-10-01", "content": _CONTRACT},
        "Submit": {"year": 2024},
        "RecordEndReason": {"end_reason": "work"},
        "ResearchReservation": {"reserved": True},
        "ChildBody": {"born_on": "2019-08-14", "supported_from": "2024-04-02"},
        "ChildEndBody": {"supported_until": "2025-08-31"},
        "LivingSituationBody": {"from_date": "2024-04-02", "lives_with_parent": False},
        "CoupleSituationBody": {"from_date": "2024-04-02", "partner_in_programme": True},
        "LeaveBenefitBody": {
            "leave_from": "2024-12-16",
            "with_benefit": True,
            "ground": "care_leave",
        },
        "GiveEmployerConsent": {"given_on": "2024-08-20"},
        "WithdrawEmployerConsent": {"withdrawn_on": "2025-01-10"},
        "EnterPhase": {"phase": "shared_home", "entered_on": "2024-03-15"},
        "AssignPrimaryContact": {"assigned_on": "2024-03-15"},
        "AgreeMeasuresPlan": {
            "agreed_on": "2024-04-10",
            "goals": [
                {"area": "school", "due_on": "2024-12-20"},
                {"area": "language", "due_on": "2025-06-20"},
            ],
        },
        "SignBedsitContract": {"signed_on": "2025-08-01", "moves_in_on": "2025-08-15"},
        "RecordFollowUpContact": {"kind": "doctor", "on": "2024-09-10"},
        "RecordMinorOutcome": {"outcome": "working_life_contact", "on": "2025-06-01"},
        "EndServices": {
            "reason": "age_limit",
            "ended_on": "2027-05-17",
            "basis": "settlement_follow_up",
        },
    },
    operations={
        "POST /participants/{participant_id}/programme": OperationExample(
            rules={409: "not-settled", 422: "before-settlement"}
        ),
        "POST /participants/{participant_id}/programme/interruption": OperationExample(
            rules={409: "already-paused", 422: "before-programme-start"}
        ),
        "POST /participants/{participant_id}/programme/resumption": OperationExample(
            rules={409: "not-paused"}
        ),
        "POST /participants/{participant_id}/programme/completion": OperationExample(
            rules={409: "no-programme", 422: "end-reason-misfits"}
        ),
        "POST /participants/{participant_id}/absences": OperationExample(
            rules={409: "absence-over-24h", 422: "absence-activity-not-planned"}
        ),
        "POST /participants/{participant_id}/contract": OperationExample(
            rules={409: "contract-exists"}
        ),
        "POST /participants/{participant_id}/contract/signature": OperationExample(
            rules={409: "contract-signed"}
        ),
        "POST /participants/{participant_id}/act/decisions": OperationExample(
            rules={409: "decision-before-mapping", 422: "legal-basis-scheme"}
        ),
        "POST /participants/{participant_id}/act/complaints": OperationExample(
            rules={409: "complaint-open"}
        ),
        "POST /participants/{participant_id}/benefit/children": OperationExample(
            rules={409: "child-already-recorded", 422: "child-over-age"}
        ),
        "POST /participants/{participant_id}/employer-consents": OperationExample(
            rules={409: "employer-consent-exists"}
        ),
        "POST /participants/{participant_id}/transfer": OperationExample(
            rules={409: "transfer-recorded", 422: "same-municipality"}
        ),
        "POST /advisers/{adviser}/caseload/move": OperationExample(rules={422: "caseload-to-self"}),
        "POST /deadlines/rules": OperationExample(
            rules={409: "deadline-rule-exists", 422: "deadline-same-fact"}
        ),
        "POST /participants/{participant_id}/minor/phases": OperationExample(
            rules={409: "minor-phase-out-of-order", 422: "future-fact"}
        ),
        "POST /imports/caseload": OperationExample(
            request=(
                "given_name,family_name,birth_date,national_id,gender,settled_on,"
                "arrival_category,household_ref,unaccompanied_minor,programme_kind,"
                "programme_starts_on,planned_end,adviser\n"
                f"Selam,Tesfaye,1992-05-17,{NATIONAL_ID},female,2024-03-01,"
                "resettlement_refugee,H1,false,introduction,2024-04-02,2026-04-01,"
                "Kari Nordmann\n"
            ),
            response=_IMPORTED,
        ),
        "POST /imports/follow-up-statuses": OperationExample(
            request=f"national_id,status,preliminary\n{NATIONAL_ID},employed,false\n",
            response=_IMPORTED,
        ),
        "DELETE /participants/{participant_id}/personal-data": OperationExample(
            response={
                "participant_id": example_id("participant_id"),
                "version": 9,
                "status": "erased",
                "erased": True,
            }
        ),
        "DELETE /deadlines/rules/{code}": OperationExample(path={"code": _PLAN_RULE["code"]}),
        "POST /participants/{participant_id}/settlement": OperationExample(
            rules={409: "already-settled", 422: "before-birth"}
        ),
        "POST /participants": OperationExample(rules={422: "birth-date-mismatch"}),
    },
)
