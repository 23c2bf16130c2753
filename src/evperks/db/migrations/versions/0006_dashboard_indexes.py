"""Dashboard indexes: vouchers by issued_at and used_at, charge orders by settled_at

The 首页 figures (services.dashboard) count and sum the last 14 local days by these instants; without
the indexes every load scans the whole tables. Building them blocks writes to vouchers and charge_orders
while they build (the upgrade runs in one transaction, so not CONCURRENTLY): see docs/performance.md
"Dashboard" for how long that takes.

Revision ID: 0006_dashboard_indexes
Revises: 0005_web
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_dashboard_indexes"
down_revision: str | Sequence[str] | None = "0005_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('charge_orders', schema=None) as batch_op:
        batch_op.create_index('ix_charge_orders_settled_at',
                              ['settled_at', 'voucher_deduction_fen', 'points_deduction_fen'], unique=False)

    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.create_index('ix_vouchers_issued_at', ['issued_at'], unique=False)
        batch_op.create_index('ix_vouchers_used_at', ['used_at'], unique=False,
                              sqlite_where=sa.text('used_at IS NOT NULL'),
                              postgresql_where=sa.text('used_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_index('ix_vouchers_used_at')
        batch_op.drop_index('ix_vouchers_issued_at')

    with op.batch_alter_table('charge_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_charge_orders_settled_at')
