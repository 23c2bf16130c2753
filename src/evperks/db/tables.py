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
    Column("created_at", UTCDateTime(), nullable=False),
    # Set by the platform: the member's openid under EVPERKS_WECHAT_APPID (one appid per deployment).
    Column("wechat_openid", String(128), nullable=True, unique=True),
    CheckConstraint("wallet_balance_fen >= 0", name="wallet_not_negative"),
    CheckConstraint("points_balance >= 0", name="points_not_negative"),
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
    Column("face_value_fen", BigInteger, nullable=False),
    Column("deduction_type", String(20), nullable=False),
    Column("station_ids", JSON, nullable=False),
    Column("validity_type", String(10), nullable=False),
    Column("validity_days", Integer, nullable=True),
    Column("window_start", UTCDateTime(), nullable=True),
    Column("window_end", UTCDateTime(), nullable=True),
    Column("min_spend_fen", BigInteger, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("face_value_fen > 0", name="face_value_positive"),
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
    Column("face_value_fen", BigInteger, nullable=False),
    Column("deduction_type", String(20), nullable=False),
    Column("station_ids", JSON, nullable=False),
    Column("min_spend_fen", BigInteger, nullable=False),
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
from evperks.db.tables_points import *  # noqa: E402,F403
from evperks.db.tables_secrets import *  # noqa: E402,F403
from evperks.db.tables_wallet import *  # noqa: E402,F403
from evperks.db.tables_web import *  # noqa: E402,F403
