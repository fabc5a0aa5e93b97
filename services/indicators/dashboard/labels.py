"""Dashboard labels in bokmål (default), nynorsk and English, and number formatting."""

from __future__ import annotations

from typing import Any

from services.indicators.domain.report import TRAFFIC_LIGHTS
from shared.i18n import Catalog, catalog

TEXTS = ("shared", "services.indicators")
"""The dashboard's texts: ``dashboard.<key>`` and ``unit.<unit>`` in the indicators catalog
(bokmål, nynorsk, English), beside the kit's vocabulary labels."""

LANGUAGES = ("nb", "nn", "en")


def texts() -> Catalog:
    return catalog(*TEXTS)


LEVEL_COLOURS = TRAFFIC_LIGHTS
"""Traffic-light colours per level (also used for threshold bands in charts)."""


def label(key: str, lang: str) -> str:
    """The dashboard text ``key`` in ``lang`` (the key itself if there is none)."""
    return texts().find(f"dashboard.{key}", lang) or key


def number(value: Any, lang: str, decimals: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang != "en":
        text = text.replace(",", " ").replace(".", ",")
    return text


def with_unit(value: Any, unit: str, lang: str, decimals: int = 1) -> str:
    if value is None:
        return "–"
    suffix = texts().find(f"unit.{unit}", lang) or ""
    return f"{number(value, lang, decimals)} {suffix}".strip()


def content_lang(lang: str) -> str:
    """The language of texts the plan holds in bokmål and English only (goal titles)."""
    return "en" if lang == "en" else "nb"
