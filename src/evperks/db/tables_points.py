"""Points (积分): settings, lots (one per grant, with what remains and when it expires), the ledger."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from evperks.db.base import BigId, metadata
from evperks.db.types import UTCDateTime

__all__ = ["points_ledger", "points_lot_spends", "points_lots", "points_settings"]

points_settings = Table(
    "points_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("earning", JSON, nullable=False),
    Column("redemption", JSON, nullable=False),
    Column("expiry_rule", JSON, nullable=False),
    # A saved rule change waits until 00:00 of the next local day, then runs once over every lot.
    Column("pending_rule", JSON, nullable=True),
    Column("pending_effective_at", UTCDateTime(), nullable=True),
    Column("reminder_days", Integer, nullable=False, server_default="7"),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

points_lots = Table(
    "points_lots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("granted_at", UTCDateTime(), nullable=False),
    # The grant's local date (operator zone): every expiry rule depends only on it, so a rule change
    # recomputes expiries per date range instead of per lot.
    Column("granted_on", Date(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("source", String(20), nullable=False),
    Column("ref", String(100), nullable=True),
    Column("reminded_at", UTCDateTime(), nullable=True),
    CheckConstraint("points > 0 AND remaining >= 0 AND remaining <= points", name="remaining_within_points"),
    Index("ix_points_lots_member_id_expires_at", "member_id", "expires_at"),
    Index("ix_points_lots_expires_at", "expires_at"),
    Index("ix_points_lots_granted_on", "granted_on"),
)

points_ledger = Table(
    "points_ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reason", String(500), nullable=True),
    # What caused the change (charge order_no, lot id for an expiry …): once per kind.
    Column("ref", String(100), nullable=True),
    Column("lot_id", BigId, ForeignKey("points_lots.id"), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("created_by", String(100), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # A claw-back (a refunded order's earned points taken back) that found fewer points than it should
    # take: what it could not take, since the balance never goes below zero.
    Column("shortfall", BigInteger, nullable=True),
    UniqueConstraint("kind", "ref", name="uq_points_ledger_kind_ref"),
    CheckConstraint("balance_after >= 0", name="balance_not_negative"),
    Index("ix_points_ledger_member_id_id", "member_id", "id"),
)

# Which lots a spending ledger row took its points from: a full refund gives redeemed points back to the
# lots they came from, so they expire when those would have.
points_lot_spends = Table(
    "points_lot_spends",
    metadata,
    Column("ledger_id", BigId, ForeignKey("points_ledger.id"), primary_key=True),
    Column("lot_id", BigId, ForeignKey("points_lots.id"), primary_key=True),
    Column("points", BigInteger, nullable=False),
    CheckConstraint("points > 0", name="points_positive"),
)
