"""Member points (积分): settings, the ledger of lots, expiry and reminders."""

from evperks.services.points.ledger import adjust, list_ledger, member_points, reconcile_points

__all__ = ["adjust", "list_ledger", "member_points", "reconcile_points"]
