"""What the points use cases answer. Field order is the API's (``api.schemas_points``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evperks.services.results import Result, result


@result
class PointsEntry(Result):
    """One row of the points ledger."""

    id: int
    points: int
    balance_after: int
    kind: str
    reason: str | None
    ref: str | None
    created_at: datetime
    expires_at: datetime | None


@result
class PointsLedgerPage(Result):
    items: list[PointsEntry]
    next_cursor: str | None


@result
class Adjusted(Result):
    member_id: str
    balance: int
    entries: list[PointsEntry]


@result
class Lot(Result):
    id: int
    points: int
    remaining: int
    granted_at: datetime
    expires_at: datetime | None


@result
class Expiring(Result):
    expires_at: datetime
    points: int


@result
class MemberPoints(Result):
    member_id: str
    balance: int
    lots: list[Lot]
    expiring_soon: list[Expiring]


@result
class Earning(Result):
    per_yuan_paid: int | float  # a whole number as int (see settings._number)
    per_kwh: int | float


@result
class Redemption(Result):
    enabled: bool
    points_per_yuan: int
    base: str
    station_ids: list[str]
    min_points: int
    max_points: int | None
    max_share_percent: int
    combine_with_voucher: bool


@result
class PointsSettingsView(Result):
    earning: Earning
    redemption: Redemption
    expiry: Mapping[str, Any]  # domain.points_expiry.rule_to_dict
    pending_expiry: Mapping[str, Any] | None
    pending_effective_at: datetime | None
    reminder_days: int


@result
class Expired(Result):
    expired_lots: int
    expired_points: int


@result
class RuleApplied(Result):
    rule: Mapping[str, Any]
    effective_at: str
    recomputed_lots: int
    expired_lots: int
    expired_points: int


@result
class Reminded(Result):
    reminded_members: int


@result
class MidnightRun(Result):
    rule_applied: Mapping[str, Any] | None
    expired_lots: int
    expired_points: int
    reminded_members: int
