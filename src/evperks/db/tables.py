"""The core tables, in SQLAlchemy Core. Instants are UTC, money is integer fen, energy is integer Wh.

Each later area keeps its tables in a module of its own (tables_wallet, tables_points,
tables_campaigns), registered on the same metadata; importing this module registers them all.
"""

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
    Text,
    UniqueConstraint,
    text,
)

from evperks.db.base import BigId, metadata
from evperks.db.types import UTCDateTime

stations = Table(
    "stations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("city", String(100), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("phone", String(11), nullable=False, unique=True),
    Column("nickname", String(100), nullable=False, server_default=""),
    Column("channel", String(50), nullable=False, server_default=""),
    Column("registered_at", UTCDateTime(), nullable=False, index=True),
    Column("invited_by", String(64), ForeignKey("members.id"), nullable=True, index=True),
    Column("invite_code", String(16), nullable=False, unique=True),
    Column("charge_count", Integer, nullable=False, server_default="0"),
    Column("total_wh", BigInteger, nullable=False, server_default="0"),
    Column("total_paid_fen", BigInteger, nullable=False, server_default="0"),
    Column("last_charge_at", UTCDateTime(), nullable=True),
    Column("wallet_balance_fen", BigInteger, nullable=False, server_default="0"),
    Column("points_balance", BigInteger, nullable=False, server_default="0"),
    # What the member's open charge sessions hold (sums over charge_sessions, kept in step with them under
    # the member's lock): the available balance is the balance less these.
    Column("wallet_held_fen", BigInteger, nullable=False, server_default="0"),
    Column("points_held", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
    # Set by the platform: the member's openid under EVPERKS_WECHAT_APPID (one appid per deployment).
    Column("wechat_openid", String(128), nullable=True, unique=True),
    CheckConstraint("wallet_balance_fen >= 0", name="wallet_not_negative"),
    CheckConstraint("points_balance >= 0", name="points_not_negative"),
    CheckConstraint("wallet_held_fen >= 0 AND wallet_held_fen <= wallet_balance_fen", name="wallet_hold_within_balance"),
    CheckConstraint("points_held >= 0", name="points_hold_not_negative"),
)

member_tags = Table(
    "member_tags",
    metadata,
    Column("member_id", String(64), ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(50), primary_key=True),
    Index("ix_member_tags_tag", "tag", "member_id"),
)

voucher_templates = Table(
    "voucher_templates",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("face_value_fen", BigInteger, nullable=True),  # NULL for a percent template
    Column("deduction_type", String(20), nullable=False),
    Column("station_ids", JSON, nullable=False),
    Column("validity_type", String(10), nullable=False),
    Column("validity_days", Integer, nullable=True),
    Column("window_start", UTCDateTime(), nullable=True),
    Column("window_end", UTCDateTime(), nullable=True),
    Column("min_spend_fen", BigInteger, nullable=False, server_default="0"),
    # 立减券 (amount: face_value_fen) or 折扣券 (percent: percent_off, optional cap max_deduction_fen).
    Column("kind", String(10), nullable=False, server_default="amount"),
    Column("percent_off", Integer, nullable=True),
    Column("max_deduction_fen", BigInteger, nullable=True),
    # 可用时段: local [{"from": "HH:MM", "to": "HH:MM"}] and ISO weekdays 1–7; NULL: no restriction.
    Column("usable_hours", JSON, nullable=True),
    Column("usable_weekdays", JSON, nullable=True),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("(kind = 'amount' AND face_value_fen > 0 AND percent_off IS NULL) OR "
                    "(kind = 'percent' AND face_value_fen IS NULL AND percent_off BETWEEN 1 AND 99)",
                    name="kind_terms"),
    CheckConstraint("min_spend_fen >= 0", name="min_spend_not_negative"),
    CheckConstraint("deduction_type IN ('total', 'service_fee')", name="deduction_type"),
    CheckConstraint(
        "(validity_type = 'days' AND validity_days >= 1) OR "
        "(validity_type = 'window' AND window_start < window_end)",
        name="validity",
    ),
)

vouchers = Table(
    "vouchers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("template_id", BigId, ForeignKey("voucher_templates.id"), nullable=False, index=True),
    # Snapshot of the template at issue: later template edits never change an issued voucher.
    Column("name", String(100), nullable=False),
    Column("face_value_fen", BigInteger, nullable=True),
    Column("deduction_type", String(20), nullable=False),
    Column("station_ids", JSON, nullable=False),
    Column("min_spend_fen", BigInteger, nullable=False),
    # 立减券 (amount: face_value_fen) or 折扣券 (percent: percent_off, optional cap max_deduction_fen).
    Column("kind", String(10), nullable=False, server_default="amount"),
    Column("percent_off", Integer, nullable=True),
    Column("max_deduction_fen", BigInteger, nullable=True),
    # 可用时段: local [{"from": "HH:MM", "to": "HH:MM"}] and ISO weekdays 1–7; NULL: no restriction.
    Column("usable_hours", JSON, nullable=True),
    Column("usable_weekdays", JSON, nullable=True),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("status", String(10), nullable=False),
    Column("source_kind", String(20), nullable=False),
    Column("campaign_id", BigId, ForeignKey("campaigns.id"), nullable=True, index=True),
    Column("package_id", BigId, ForeignKey("campaign_packages.id"), nullable=True, index=True),
    Column("reason", String(500), nullable=True),
    Column("issued_by", String(100), nullable=True),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("used_order_no", String(64), nullable=True, unique=True),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoke_reason", String(500), nullable=True),
    # The open charge session holding this voucher (at most one: the guarded UPDATE that sets it
    # requires it to be NULL); cleared when the session settles or is cancelled.
    Column("held_by_session", String(64), nullable=True),
    CheckConstraint("status IN ('available', 'used', 'expired', 'revoked')", name="status"),
    CheckConstraint("(status = 'used') = (used_order_no IS NOT NULL)", name="used_has_order"),
    # Covers "this member's spendable vouchers" (member, status, valid_until > end): without it SQLite
    # picks the status index and scans every member's vouchers.
    Index("ix_vouchers_member_status_valid_until", "member_id", "status", "valid_until"),
    Index("ix_vouchers_status_valid_until", "status", "valid_until"),
    # The 首页 counts per local day (services.dashboard): issued_at is all the count needs, so the index
    # covers it. used_at is partial: most vouchers are never used, and issuing one stays one index cheaper.
    Index("ix_vouchers_issued_at", "issued_at"),
    Index("ix_vouchers_used_at", "used_at",
          sqlite_where=text("used_at IS NOT NULL"), postgresql_where=text("used_at IS NOT NULL")),
)

charge_orders = Table(
    "charge_orders",
    metadata,
    Column("order_no", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False),
    Column("start_time", UTCDateTime(), nullable=False),
    Column("end_time", UTCDateTime(), nullable=False),
    Column("energy_wh", BigInteger, nullable=False),
    Column("elec_fee_fen", BigInteger, nullable=False),
    Column("service_fee_fen", BigInteger, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("voucher_id", BigId, ForeignKey("vouchers.id"), nullable=True, unique=True),
    Column("voucher_deduction_fen", BigInteger, nullable=False),
    Column("points_used", BigInteger, nullable=False),
    Column("points_deduction_fen", BigInteger, nullable=False),
    Column("wallet_paid_fen", BigInteger, nullable=False),
    Column("due_fen", BigInteger, nullable=False),
    Column("points_earned", BigInteger, nullable=False),
    # sha256 of the request's content: a replay must match it, or it is a conflicting reuse.
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSON, nullable=False),
    Column("settled_at", UTCDateTime(), nullable=False),
    # The charge session this order settled, if it came through one.
    Column("session_id", String(64), nullable=True, unique=True),
    # Money given back by refunds (charge_order_refunds): never more than the member paid in money.
    Column("refunded_fen", BigInteger, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False, server_default="settled"),
    CheckConstraint("refunded_fen >= 0 AND refunded_fen <= wallet_paid_fen + due_fen", name="refunds_within_paid"),
    CheckConstraint("status IN ('settled', 'partially_refunded', 'refunded')", name="status"),
    CheckConstraint(
        "total_fen = elec_fee_fen + service_fee_fen AND "
        "due_fen = total_fen - voucher_deduction_fen - points_deduction_fen - wallet_paid_fen AND "
        "due_fen >= 0",
        name="amounts_add_up",
    ),
    # The 首页 deduction sums per local day (services.dashboard) read only these three columns: the index
    # covers them, so 14 days of orders are summed without reading the (wide) rows.
    Index("ix_charge_orders_settled_at", "settled_at", "voucher_deduction_fen", "points_deduction_fen"),
)

# A refund of a settled charge order (退款), idempotent by refund_no. The order's refunded_fen is raised by
# a guarded UPDATE in the same transaction, so parallel refunds never return more than was paid.
charge_order_refunds = Table(
    "charge_order_refunds",
    metadata,
    Column("refund_no", String(64), primary_key=True),
    Column("order_no", String(64), ForeignKey("charge_orders.order_no"), nullable=False, index=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("external_fen", BigInteger, nullable=False),  # returned by the platform's own payment channel
    Column("wallet_fen", BigInteger, nullable=False),  # credited back to the wallet
    Column("points_returned", BigInteger, nullable=False, server_default="0"),
    Column("voucher_returned", Boolean, nullable=False, server_default="0"),
    Column("points_clawed_back", BigInteger, nullable=False, server_default="0"),
    Column("reason", String(500), nullable=True),
    Column("created_by", String(100), nullable=True),
    # sha256 of the request's content: a repeat must match it, or it is a conflicting reuse.
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSON, nullable=False),  # the answer: every repeat returns it unchanged
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("amount_fen >= 0 AND external_fen >= 0 AND wallet_fen >= 0 "
                    "AND amount_fen = external_fen + wallet_fen", name="parts_add_up"),
)

# A charge session (充电会话): from plug-in to settlement it holds the wallet money, the named voucher and
# the points the member will pay with (members.wallet_held_fen / points_held, vouchers.held_by_session).
charge_sessions = Table(
    "charge_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("station_id", String(64), ForeignKey("stations.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),  # cancelled by the hold-release job after this
    # The voucher choice: a voucher id (held), or 'auto' / 'none' (nothing held).
    Column("voucher_choice", String(20), nullable=False),
    Column("voucher_id", BigId, ForeignKey("vouchers.id"), nullable=True),  # the voucher held
    Column("use_points", Boolean, nullable=False),
    Column("use_wallet", Boolean, nullable=False),
    Column("wallet_held_fen", BigInteger, nullable=False),
    Column("points_held", BigInteger, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("order_no", String(64), nullable=True, unique=True),  # the order it settled
    Column("result", JSON, nullable=True),  # the settle or cancel answer: every repeat returns it
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    CheckConstraint("status IN ('open', 'settled', 'cancelled')", name="status"),
    CheckConstraint("wallet_held_fen >= 0 AND points_held >= 0", name="holds_not_negative"),
    CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_when_done"),
    Index("ix_charge_sessions_status_expires_at", "status", "expires_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("prefix", String(12), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    CheckConstraint("role IN ('platform', 'admin')", name="role"),
)

admin_users = Table(
    "admin_users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("role IN ('admin', 'operator', 'viewer')", name="role"),
)

sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("now", UTCDateTime(), nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(50), nullable=False),
    # A scheduled run is identified by (task_key, run_at): inserting it twice is a no-op on any node.
    Column("task_key", String(200), nullable=False),
    Column("run_at", UTCDateTime(), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # A failed run waits for its retry backoff until not_before (on the schedule clock).
    Column("not_before", UTCDateTime(), nullable=True),
    Column("locked_by", String(100), nullable=True),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("result", JSON, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("task_key", "run_at", name="uq_jobs_task_key_run_at"),
    CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status"),
    Index("ix_jobs_status_run_at", "status", "run_at"),
)


# Registers the tables of the later areas on the same metadata (they import only base and types).
from evperks.db.tables_campaigns import *  # noqa: E402,F403
from evperks.db.tables_mall import *  # noqa: E402,F403
from evperks.db.tables_points import *  # noqa: E402,F403
from evperks.db.tables_secrets import *  # noqa: E402,F403
from evperks.db.tables_wallet import *  # noqa: E402,F403
from evperks.db.tables_web import *  # noqa: E402,F403
