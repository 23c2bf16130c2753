"""Every router of the console, in one list for ``evperks.web.mount``."""

from __future__ import annotations

from evperks.web.admin import dashboard, login

ROUTERS = [login.router, dashboard.router]
