"""Points: settings, lots, ledger

Revision ID: 0003_points
Revises: 0002_stored_value
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_points"
down_revision: str | Sequence[str] | None = "0002_stored_value"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('points_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('earning', sa.JSON(), nullable=False),
    sa.Column('redemption', sa.JSON(), nullable=False),
    sa.Column('expiry_rule', sa.JSON(), nullable=False),
    sa.Column('pending_rule', sa.JSON(), nullable=True),
    sa.Column('pending_effective_at', sa.DateTime(), nullable=True),
    sa.Column('reminder_days', sa.Integer(), server_default='7', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_points_settings_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_settings'))
    )

    op.create_table('points_lots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('points > 0 AND remaining >= 0 AND remaining <= points', name=op.f('ck_points_lots_remaining_within_points')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_lots_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_lots'))
    )

    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.create_index('ix_points_lots_expires_at', ['expires_at'], unique=False)
        batch_op.create_index('ix_points_lots_granted_on', ['granted_on'], unique=False)
        batch_op.create_index('ix_points_lots_member_id_expires_at', ['member_id', 'expires_at'], unique=False)

    op.create_table('points_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('ref', sa.String(length=100), nullable=True),
    sa.Column('lot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_points_ledger_balance_not_negative')),
    sa.ForeignKeyConstraint(['lot_id'], ['points_lots.id'], name=op.f('fk_points_ledger_lot_id_points_lots')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_ledger_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_ledger')),
    sa.UniqueConstraint('kind', 'ref', name='uq_points_ledger_kind_ref')
    )

    with op.batch_alter_table('points_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_points_ledger_member_id_id', ['member_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('points_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_points_ledger_member_id_id')

    op.drop_table('points_ledger')

    with op.batch_alter_table('points_lots', schema=None) as batch_op:
        batch_op.drop_index('ix_points_lots_member_id_expires_at')
        batch_op.drop_index('ix_points_lots_granted_on')
        batch_op.drop_index('ix_points_lots_expires_at')

    op.drop_table('points_lots')

    op.drop_table('points_settings')
