"""The indicators service's pure computation: periods, facts as known, rules, plans, levels.

No I/O and no clock: every function takes what it needs (a snapshot, a period, the
as-of moment) and returns values, so the API, the dashboard, the level evaluator and the
benchmark compute the same thing.
"""
