"""Points mall (积分商城): items that members buy with points, each exchange kept by its exchange_no,
and a counter per (item, member) that the per-member limit guards."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table

from evperks.db.base import BigId, metadata
from evperks.db.types import UTCDateTime

__all__ = ["mall_exchange_counts", "mall_items", "points_exchanges"]

mall_items = Table(
    "mall_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("reward", JSON, nullable=False),  # [{template_id, quantity}]: the vouchers one exchange gives
    Column("points_price", BigInteger, nullable=False),
    Column("stock", Integer, nullable=False),
    # Taken by one guarded UPDATE per exchange (stock_left >= 1): never below zero, never oversold.
    Column("stock_left", Integer, nullable=False),
    Column("per_member_limit", Integer, nullable=True),  # NULL: no limit per member
    Column("start_at", UTCDateTime(), nullable=True),  # NULL: open from its creation
    Column("end_at", UTCDateTime(), nullable=True),  # NULL: open until disabled
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("points_price > 0", name="price_positive"),
    CheckConstraint("stock >= 0 AND stock_left >= 0 AND stock_left <= stock", name="stock_left_within_stock"),
    CheckConstraint("per_member_limit IS NULL OR per_member_limit >= 1", name="limit_positive"),
    CheckConstraint("start_at IS NULL OR end_at IS NULL OR start_at < end_at", name="window"),
)

# How many times a member exchanged an item: raised by one upsert guarded by ``count < per_member_limit``.
mall_exchange_counts = Table(
    "mall_exchange_counts",
    metadata,
    Column("item_id", BigId, ForeignKey("mall_items.id"), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("count", Integer, nullable=False),
    CheckConstraint("count >= 1", name="count_positive"),
)

points_exchanges = Table(
    "points_exchanges",
    metadata,
    Column("exchange_no", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("item_id", BigId, ForeignKey("mall_items.id"), nullable=False),
    Column("points_spent", BigInteger, nullable=False),
    # sha256 of the request's content: a repeat must match it, or it is a conflicting reuse.
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSON, nullable=False),  # the answer: every repeat returns it unchanged
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_points_exchanges_item_id_member_id", "item_id", "member_id"),
    Index("ix_points_exchanges_member_id", "member_id"),
)
