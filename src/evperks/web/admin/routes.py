"""Every router of the console, in one list for ``evperks.web.mount``."""

from __future__ import annotations

from evperks.web.admin import campaigns, campaigns_members, dashboard, login
from evperks.web.admin import members as admin_members
from evperks.web.admin import stations as admin_stations
from evperks.web.admin import vouchers as admin_vouchers

ROUTERS = [login.router, dashboard.router]
ROUTERS += [admin_vouchers.router, admin_members.router, admin_stations.router]
ROUTERS += [campaigns.router, campaigns_members.router]
