"""Every router of the member H5, in one list for ``evperks.web.mount``."""

from __future__ import annotations

from evperks.web.h5 import campaigns, entry, home, invite, mall, points, register, vouchers, wallet

ROUTERS: list = [entry.router, home.router, invite.router, register.router, vouchers.router, wallet.router,
                 points.router, campaigns.router, mall.router]
