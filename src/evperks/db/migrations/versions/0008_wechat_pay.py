"""WeChat Pay: members.wechat_openid, provider refunds, pending recharges by age

``members.wechat_openid`` is set by the platform (JSAPI payments need it); ``provider_refunds`` records
refunds of principal paid back through WeChat Pay's refund API; the index lets the query/close sweep
find pending recharges by age. See docs/stored-value.md "WeChat Pay".

Revision ID: 0008_wechat_pay
Revises: 0007_secrets
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_wechat_pay"
down_revision: str | Sequence[str] | None = "0007_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_openid', sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_members_wechat_openid'), ['wechat_openid'])

    with op.batch_alter_table('recharges', schema=None) as batch_op:
        batch_op.create_index('ix_recharges_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('provider_refunds',
    sa.Column('refund_no', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('provider_refund_id', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('failure', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(status = 'pending') = (finished_at IS NULL)",
                       name=op.f('ck_provider_refunds_finished_when_done')),
    sa.CheckConstraint("status IN ('pending', 'success', 'failed')", name=op.f('ck_provider_refunds_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_provider_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_provider_refunds_member_id_members')),
    sa.ForeignKeyConstraint(['order_no'], ['recharges.order_no'], name=op.f('fk_provider_refunds_order_no_recharges')),
    sa.PrimaryKeyConstraint('refund_no', name=op.f('pk_provider_refunds'))
    )
    with op.batch_alter_table('provider_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_refunds_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_refunds_order_no'), ['order_no'], unique=False)
        batch_op.create_index('ix_provider_refunds_status_created_at', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('provider_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_refunds_status_created_at')
        batch_op.drop_index(batch_op.f('ix_provider_refunds_order_no'))
        batch_op.drop_index(batch_op.f('ix_provider_refunds_member_id'))
    op.drop_table('provider_refunds')

    with op.batch_alter_table('recharges', schema=None) as batch_op:
        batch_op.drop_index('ix_recharges_status_created_at')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_members_wechat_openid'), type_='unique')
        batch_op.drop_column('wechat_openid')
