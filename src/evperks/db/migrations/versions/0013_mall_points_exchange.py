"""Points mall (积分商城): items members buy with points, and their exchanges

- ``mall_items``: a reward package (``[{template_id, quantity}]``), a points price, a stock with what is
  left of it (``0 <= stock_left <= stock``, taken by one guarded UPDATE per exchange), a per-member limit
  (NULL: none), an optional window and an enabled flag.
- ``mall_exchange_counts``: exchanges per (item, member), raised by one upsert guarded by the limit.
- ``points_exchanges``: each exchange by its ``exchange_no`` (the idempotency key) with the answer a
  repeat returns.

Revision ID: 0013_mall_points_exchange
Revises: 0012_money_lifecycle
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evperks.db.base import BigId
from evperks.db.types import UTCDateTime

revision: str = "0013_mall_points_exchange"
down_revision: str | Sequence[str] | None = "0012_money_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mall_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("reward", sa.JSON(), nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("stock_left", sa.Integer(), nullable=False),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("start_at", UTCDateTime(), nullable=True),
        sa.Column("end_at", UTCDateTime(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("per_member_limit IS NULL OR per_member_limit >= 1", name=op.f("ck_mall_items_limit_positive")),
        sa.CheckConstraint("points_price > 0", name=op.f("ck_mall_items_price_positive")),
        sa.CheckConstraint("start_at IS NULL OR end_at IS NULL OR start_at < end_at", name=op.f("ck_mall_items_window")),
        sa.CheckConstraint("stock >= 0 AND stock_left >= 0 AND stock_left <= stock",
                           name=op.f("ck_mall_items_stock_left_within_stock")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_items")),
    )
    op.create_table(
        "mall_exchange_counts",
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 1", name=op.f("ck_mall_exchange_counts_count_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["mall_items.id"], name=op.f("fk_mall_exchange_counts_item_id_mall_items")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_mall_exchange_counts_member_id_members")),
        sa.PrimaryKeyConstraint("item_id", "member_id", name=op.f("pk_mall_exchange_counts")),
    )
    op.create_table(
        "points_exchanges",
        sa.Column("exchange_no", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("points_spent", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["mall_items.id"], name=op.f("fk_points_exchanges_item_id_mall_items")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_points_exchanges_member_id_members")),
        sa.PrimaryKeyConstraint("exchange_no", name=op.f("pk_points_exchanges")),
    )
    with op.batch_alter_table("points_exchanges", schema=None) as batch_op:
        batch_op.create_index("ix_points_exchanges_item_id_member_id", ["item_id", "member_id"], unique=False)
        batch_op.create_index("ix_points_exchanges_member_id", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_table("points_exchanges")
    op.drop_table("mall_exchange_counts")
    op.drop_table("mall_items")
