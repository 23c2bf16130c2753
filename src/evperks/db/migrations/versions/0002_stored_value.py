"""Stored value: settings, recharge orders, wallet ledger

Revision ID: 0002_stored_value
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_stored_value"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_value_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('min_recharge_fen', sa.BigInteger(), nullable=False),
    sa.Column('denominations_fen', sa.JSON(), nullable=False),
    sa.Column('allow_custom_amount', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_stored_value_settings_single_row')),
    sa.CheckConstraint('min_recharge_fen > 0', name=op.f('ck_stored_value_settings_min_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_value_settings'))
    )

    op.create_table('recharges',
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_txn_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name=op.f('ck_recharges_status')),
    sa.CheckConstraint("(status = 'paid') = (provider_txn_id IS NOT NULL)", name=op.f('ck_recharges_paid_has_txn')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_recharges_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recharges_member_id_members')),
    sa.PrimaryKeyConstraint('order_no', name=op.f('pk_recharges')),
    sa.UniqueConstraint('provider_txn_id', name=op.f('uq_recharges_provider_txn_id'))
    )

    with op.batch_alter_table('recharges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recharges_member_id'), ['member_id'], unique=False)

    op.create_table('wallet_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_wallet_ledger_amount_not_zero')),
    sa.CheckConstraint('balance_after_fen >= 0', name=op.f('ck_wallet_ledger_balance_not_negative')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_wallet_ledger_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_ledger')),
    sa.UniqueConstraint('kind', 'ref', name='uq_wallet_ledger_kind_ref')
    )

    with op.batch_alter_table('wallet_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_ledger_member_id_id', ['member_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wallet_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_ledger_member_id_id')

    op.drop_table('wallet_ledger')

    with op.batch_alter_table('recharges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recharges_member_id'))

    op.drop_table('recharges')

    op.drop_table('stored_value_settings')
