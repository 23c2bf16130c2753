"""Every router of the member H5, in one list for ``evperks.web.mount``."""

from __future__ import annotations

ROUTERS: list = []
