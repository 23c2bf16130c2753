"""Stored value (储值): settings, recharge orders, the wallet ledger."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from evperks.db.base import BigId, metadata
from evperks.db.types import UTCDateTime

__all__ = ["provider_refunds", "recharges", "stored_value_settings", "wallet_ledger"]

stored_value_settings = Table(
    "stored_value_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("min_recharge_fen", BigInteger, nullable=False),
    Column("denominations_fen", JSON, nullable=False),
    Column("allow_custom_amount", Boolean, nullable=False),
    # 启动充电最低余额: opening a charge session on the wallet needs this much available.
    Column("min_start_balance_fen", BigInteger, nullable=False, server_default="0"),
    # An open charge session is cancelled (its holds released) this many hours after it started.
    Column("hold_hours", Integer, nullable=False, server_default="24"),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
    CheckConstraint("min_recharge_fen > 0", name="min_positive"),
    CheckConstraint("min_start_balance_fen >= 0 AND hold_hours >= 1", name="session_rules"),
)

recharges = Table(
    "recharges",
    metadata,
    Column("order_no", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("provider", String(20), nullable=False),
    # A payment notification names the provider's transaction; one transaction credits one recharge.
    Column("provider_txn_id", String(100), nullable=True, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("paid_at", UTCDateTime(), nullable=True),
    Column("confirmed_at", UTCDateTime(), nullable=True),
    Column("cancelled_at", UTCDateTime(), nullable=True),
    # The confirmation's answer ({status, wallet_balance_fen, rewards}): every repeat returns it unchanged.
    Column("result", JSON, nullable=True),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name="status"),
    CheckConstraint("(status = 'paid') = (provider_txn_id IS NOT NULL)", name="paid_has_txn"),
    # The WeChat Pay sweep (query, then close) reads the pending recharges by age.
    Index("ix_recharges_status_created_at", "status", "created_at"),
)

wallet_ledger = Table(
    "wallet_ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("balance_after_fen", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    # What caused the change (recharge order_no, charge order_no, refund id): once per kind.
    Column("ref", String(100), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("created_by", String(100), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("kind", "ref", name="uq_wallet_ledger_kind_ref"),
    CheckConstraint("balance_after_fen >= 0", name="balance_not_negative"),
    CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
    Index("ix_wallet_ledger_member_id_id", "member_id", "id"),
)

# A refund of principal paid back through the payment provider (WeChat Pay's refund API) against one
# paid recharge. The wallet is debited when it is requested (ledger kind 'refund', ref refund_no) and
# credited back if the provider fails it (kind 'refund_reversal', same ref).
provider_refunds = Table(
    "provider_refunds",
    metadata,
    Column("refund_no", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("order_no", String(64), ForeignKey("recharges.order_no"), nullable=False, index=True),
    Column("provider", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("provider_refund_id", String(100), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("failure", String(500), nullable=True),
    Column("created_by", String(100), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("status IN ('pending', 'success', 'failed')", name="status"),
    CheckConstraint("(status = 'pending') = (finished_at IS NULL)", name="finished_when_done"),
    Index("ix_provider_refunds_status_created_at", "status", "created_at"),
)
