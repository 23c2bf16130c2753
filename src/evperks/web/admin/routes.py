"""Every router of the console, in one list for ``evperks.web.mount``."""

from __future__ import annotations

from evperks.web.admin import audit as admin_audit
from evperks.web.admin import campaigns, campaigns_members, campaigns_skipped, dashboard, exports, login
from evperks.web.admin import mall as admin_mall
from evperks.web.admin import members as admin_members
from evperks.web.admin import orders as admin_orders
from evperks.web.admin import points as admin_points
from evperks.web.admin import stations as admin_stations
from evperks.web.admin import stored_value as admin_stored_value
from evperks.web.admin import vouchers as admin_vouchers

ROUTERS = [login.router, dashboard.router]
ROUTERS += [admin_vouchers.router, admin_members.router, admin_stations.router]
ROUTERS += [campaigns.router, campaigns_members.router, campaigns_skipped.router]
ROUTERS += [admin_points.router, admin_stored_value.router, admin_audit.router]
ROUTERS += [exports.router, admin_mall.router, admin_orders.router]
