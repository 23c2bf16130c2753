"""Promotion depth: percent vouchers, usage windows, referral safeguards

- ``voucher_templates`` and ``vouchers`` gain ``kind`` (``amount`` 立减券 or ``percent`` 折扣券),
  ``percent_off`` and ``max_deduction_fen`` (a percent voucher's share and optional cap), and the usage
  windows ``usable_hours`` (``[{from, to}]`` local "HH:MM") and ``usable_weekdays`` (ISO 1–7), NULL when
  unrestricted. A percent voucher has no face value: ``face_value_fen`` becomes nullable, and a CHECK
  says which columns each kind holds. Existing rows are amount vouchers.
- ``campaigns`` gains the referral safeguards ``min_first_charge_wh``, ``min_first_charge_paid_fen`` and
  ``max_rewards_per_inviter`` (NULL: no condition).

Revision ID: 0014_promos_voucher_kinds
Revises: 0013_mall_points_exchange
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_promos_voucher_kinds"
down_revision: str | Sequence[str] | None = "0013_mall_points_exchange"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_TERMS = ("(kind = 'amount' AND face_value_fen > 0 AND percent_off IS NULL) OR "
              "(kind = 'percent' AND face_value_fen IS NULL AND percent_off BETWEEN 1 AND 99)")


def _kind_columns(batch_op) -> None:
    batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="amount", nullable=False))
    batch_op.add_column(sa.Column("percent_off", sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column("max_deduction_fen", sa.BigInteger(), nullable=True))
    batch_op.add_column(sa.Column("usable_hours", sa.JSON(), nullable=True))
    batch_op.add_column(sa.Column("usable_weekdays", sa.JSON(), nullable=True))
    batch_op.alter_column("face_value_fen", existing_type=sa.BigInteger(), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("voucher_templates", schema=None) as batch_op:
        _kind_columns(batch_op)
        batch_op.drop_constraint(batch_op.f("ck_voucher_templates_face_value_positive"), type_="check")
        batch_op.create_check_constraint("kind_terms", KIND_TERMS)
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        _kind_columns(batch_op)
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_first_charge_wh", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("min_first_charge_paid_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("max_rewards_per_inviter", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("max_rewards_per_inviter")
        batch_op.drop_column("min_first_charge_paid_fen")
        batch_op.drop_column("min_first_charge_wh")
    # A percent voucher has no face value to go back to: downgrading with percent vouchers stored fails
    # on the NOT NULL, rather than inventing one.
    for table in ("vouchers", "voucher_templates"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "voucher_templates":
                batch_op.drop_constraint(batch_op.f("ck_voucher_templates_kind_terms"), type_="check")
                batch_op.create_check_constraint("face_value_positive", "face_value_fen > 0")
            batch_op.alter_column("face_value_fen", existing_type=sa.BigInteger(), nullable=False)
            for column in ("usable_weekdays", "usable_hours", "max_deduction_fen", "percent_off", "kind"):
                batch_op.drop_column(column)
