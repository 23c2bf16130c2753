"""Money that flows both ways: refunds of settled charge orders, and charge sessions that hold money

- ``charge_orders`` gains ``refunded_fen`` (raised by a guarded UPDATE, never past what was paid in money),
  ``status`` and the ``session_id`` it settled; ``charge_order_refunds`` keeps each refund by refund_no.
- ``charge_sessions`` holds the wallet money, one named voucher and points from plug-in to settlement;
  the member keeps the sums of the holds (``wallet_held_fen``, ``points_held``) and a held voucher names
  its session (``held_by_session``).
- A package a refund revoked no longer blocks earning the same reward again: the once-per-trigger
  uniqueness of ``campaign_packages`` becomes a partial index over the packages not revoked.
- ``points_lot_spends`` records which lots a spend took from, so a refund gives redeemed points back with
  the expiry they had; a claw-back records its shortfall on its ledger row.
- Stored-value settings gain ``min_start_balance_fen`` (启动充电最低余额) and ``hold_hours``.

Revision ID: 0012_money_lifecycle
Revises: 0011_campaign_type_open
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evperks.db.base import BigId
from evperks.db.types import UTCDateTime

revision: str = "0012_money_lifecycle"
down_revision: str | Sequence[str] | None = "0011_campaign_type_open"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_REVOKED = "revoked_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wallet_held_fen", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("points_held", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            "wallet_hold_within_balance", "wallet_held_fen >= 0 AND wallet_held_fen <= wallet_balance_fen")
        batch_op.create_check_constraint("points_hold_not_negative", "points_held >= 0")

    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_by_session", sa.String(length=64), nullable=True))

    with op.batch_alter_table("charge_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("refunded_fen", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="settled", nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_charge_orders_session_id"), ["session_id"])
        batch_op.create_check_constraint(
            "refunds_within_paid", "refunded_fen >= 0 AND refunded_fen <= wallet_paid_fen + due_fen")
        batch_op.create_check_constraint("status", "status IN ('settled', 'partially_refunded', 'refunded')")

    op.create_table(
        "charge_order_refunds",
        sa.Column("refund_no", sa.String(length=64), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("external_fen", sa.BigInteger(), nullable=False),
        sa.Column("wallet_fen", sa.BigInteger(), nullable=False),
        sa.Column("points_returned", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("voucher_returned", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("points_clawed_back", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_fen >= 0 AND external_fen >= 0 AND wallet_fen >= 0 "
                           "AND amount_fen = external_fen + wallet_fen", name=op.f("ck_charge_order_refunds_parts_add_up")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_charge_order_refunds_member_id_members")),
        sa.ForeignKeyConstraint(["order_no"], ["charge_orders.order_no"],
                                name=op.f("fk_charge_order_refunds_order_no_charge_orders")),
        sa.PrimaryKeyConstraint("refund_no", name=op.f("pk_charge_order_refunds")),
    )
    with op.batch_alter_table("charge_order_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_order_refunds_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_order_refunds_order_no"), ["order_no"], unique=False)

    op.create_table(
        "charge_sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("voucher_choice", sa.String(length=20), nullable=False),
        sa.Column("voucher_id", BigId, nullable=True),
        sa.Column("use_points", sa.Boolean(), nullable=False),
        sa.Column("use_wallet", sa.Boolean(), nullable=False),
        sa.Column("wallet_held_fen", sa.BigInteger(), nullable=False),
        sa.Column("points_held", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'settled', 'cancelled')", name=op.f("ck_charge_sessions_status")),
        sa.CheckConstraint("wallet_held_fen >= 0 AND points_held >= 0", name=op.f("ck_charge_sessions_holds_not_negative")),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name=op.f("ck_charge_sessions_closed_when_done")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_charge_sessions_member_id_members")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_charge_sessions_station_id_stations")),
        sa.ForeignKeyConstraint(["voucher_id"], ["vouchers.id"], name=op.f("fk_charge_sessions_voucher_id_vouchers")),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_charge_sessions")),
        sa.UniqueConstraint("order_no", name=op.f("uq_charge_sessions_order_no")),
    )
    with op.batch_alter_table("charge_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_sessions_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_charge_sessions_status_expires_at", ["status", "expires_at"], unique=False)

    with op.batch_alter_table("campaign_packages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_refund", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("uq_campaign_packages_once", type_="unique")
    with op.batch_alter_table("campaign_packages", schema=None) as batch_op:
        batch_op.create_index("uq_campaign_packages_once", ["campaign_id", "member_id", "trigger", "ref"], unique=True,
                              sqlite_where=sa.text(NOT_REVOKED), postgresql_where=sa.text(NOT_REVOKED))

    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shortfall", sa.BigInteger(), nullable=True))
    op.create_table(
        "points_lot_spends",
        sa.Column("ledger_id", BigId, nullable=False),
        sa.Column("lot_id", BigId, nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_points_lot_spends_points_positive")),
        sa.ForeignKeyConstraint(["ledger_id"], ["points_ledger.id"], name=op.f("fk_points_lot_spends_ledger_id_points_ledger")),
        sa.ForeignKeyConstraint(["lot_id"], ["points_lots.id"], name=op.f("fk_points_lot_spends_lot_id_points_lots")),
        sa.PrimaryKeyConstraint("ledger_id", "lot_id", name=op.f("pk_points_lot_spends")),
    )

    with op.batch_alter_table("stored_value_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_start_balance_fen", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("hold_hours", sa.Integer(), server_default="24", nullable=False))
        batch_op.create_check_constraint("session_rules", "min_start_balance_fen >= 0 AND hold_hours >= 1")


def downgrade() -> None:
    with op.batch_alter_table("stored_value_settings", schema=None) as batch_op:
        batch_op.drop_constraint("session_rules", type_="check")
        batch_op.drop_column("hold_hours")
        batch_op.drop_column("min_start_balance_fen")
    op.drop_table("points_lot_spends")
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.drop_column("shortfall")
    op.execute("DELETE FROM campaign_packages WHERE revoked_at IS NOT NULL AND NOT EXISTS "
               "(SELECT 1 FROM vouchers WHERE vouchers.package_id = campaign_packages.id)")
    with op.batch_alter_table("campaign_packages", schema=None) as batch_op:
        batch_op.drop_index("uq_campaign_packages_once")
        batch_op.drop_column("revoked_by_refund")
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("campaign_packages", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_campaign_packages_once", ["campaign_id", "member_id", "trigger", "ref"])
    op.drop_table("charge_sessions")
    op.drop_table("charge_order_refunds")
    with op.batch_alter_table("charge_orders", schema=None) as batch_op:
        batch_op.drop_constraint("status", type_="check")
        batch_op.drop_constraint("refunds_within_paid", type_="check")
        batch_op.drop_constraint(batch_op.f("uq_charge_orders_session_id"), type_="unique")
        batch_op.drop_column("status")
        batch_op.drop_column("refunded_fen")
        batch_op.drop_column("session_id")
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_column("held_by_session")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint("points_hold_not_negative", type_="check")
        batch_op.drop_constraint("wallet_hold_within_balance", type_="check")
        batch_op.drop_column("points_held")
        batch_op.drop_column("wallet_held_fen")
