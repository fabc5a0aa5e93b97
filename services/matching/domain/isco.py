"""The ISCO-08 hierarchy as matching uses it; the code lists themselves are the kit's
(``shared.taxonomy``)."""

from __future__ import annotations

ISCO_LEVELS = ("unit_group", "minor_group", "sub_major_group", "major_group")
"""ISCO-08 hierarchy levels, finest first: 4, 3, 2 and 1 digits."""


def isco_prefixes(code: str) -> tuple[str, str, str, str]:
    """The unit, minor, sub-major and major group of a four-digit code."""
    return code[:4], code[:3], code[:2], code[:1]


def isco_skill_level(code: str) -> int:
    """ISCO-08 skill level (1–4) a unit group usually needs, from its major group.

    Major groups 2 → 4 (professionals), 1 and 3 → 3, 4–8 → 2, 9 → 1 and 0 (armed
    forces, mixed) → 2. ILO, ISCO-08 vol. 1, table 3.
    """
    return {"1": 3, "2": 4, "3": 3, "9": 1}.get(code[:1], 2)
