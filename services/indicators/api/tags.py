"""The indicators service's OpenAPI tags, described in bokmål / English."""

from __future__ import annotations

TAGS: tuple[dict[str, str], ...] = (
    {
        "name": "indicators",
        "description": "MRS-planen (mål, indikatorer, terskler), verdier, analyser og låste "
        "rapporter. / The MRS plan (goals, indicators, thresholds), values, analyses and "
        "locked reports.",
    },
    {
        "name": "dashboard",
        "description": "Servergenererte HTML-sider for mennesker (innlogging med "
        "informasjonskapsel, ikke for klienter). / Server-rendered HTML pages for people "
        "(signed in with a cookie; not for API clients).",
    },
)
