"""The dashboard: server-rendered HTML for managers and politicians (``/dashboard``).

``pages`` holds the routes and the sign-in; ``charts`` the inline SVG, ``labels`` the
bokmål and English words and number formats, ``templates`` the Jinja2 templates.
"""

from services.indicators.dashboard.pages import install_dashboard

__all__ = ["install_dashboard"]
