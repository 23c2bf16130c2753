"""Campaigns: campaigns, bound members, packages, progress, referral rewards, messages, outbox; vouchers point at their campaign and package

Revision ID: 0004_campaigns
Revises: 0003_points
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_campaigns"
down_revision: str | Sequence[str] | None = "0003_points"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('ended_reason', sa.String(length=10), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=True),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('issue_at', sa.DateTime(), nullable=True),
    sa.Column('rules_text', sa.Text(), nullable=True),
    sa.Column('total_packages', sa.Integer(), nullable=True),
    sa.Column('packages_given', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reward', sa.JSON(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('metric', sa.String(length=10), nullable=True),
    sa.Column('progress_reminder', sa.BigInteger(), nullable=True),
    sa.Column('countdown_days', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("ended_reason IS NULL OR ended_reason IN ('expired', 'exhausted', 'stopped')", name=op.f('ck_campaigns_ended_reason')),
    sa.CheckConstraint("status IN ('draft', 'scheduled', 'active', 'ended')", name=op.f('ck_campaigns_status')),
    sa.CheckConstraint("type IN ('referral', 'registration', 'recharge', 'one_time', 'consumption')", name=op.f('ck_campaigns_type')),
    sa.CheckConstraint('packages_given >= 0 AND (total_packages IS NULL OR packages_given <= total_packages)', name=op.f('ck_campaigns_within_budget')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_type_status', ['type', 'status'], unique=False)

    op.create_table('campaign_members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('bound_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_members_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_campaign_members_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_members')),
    sa.UniqueConstraint('campaign_id', 'member_id', name='uq_campaign_members_campaign_id_member_id')
    )

    op.create_table('campaign_packages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('ref', sa.String(length=100), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_packages_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_campaign_packages_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_packages')),
    sa.UniqueConstraint('campaign_id', 'member_id', 'trigger', 'ref', name='uq_campaign_packages_once')
    )

    with op.batch_alter_table('campaign_packages', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_packages_trigger_ref', ['trigger', 'ref'], unique=False)

    op.create_table('campaign_progress',
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('accumulated', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('tiers_reached', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reminded_tier', sa.Integer(), nullable=True),
    sa.Column('countdown_sent', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_progress_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_campaign_progress_member_id_members')),
    sa.PrimaryKeyConstraint('campaign_id', 'member_id', name=op.f('pk_campaign_progress'))
    )

    op.create_table('messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_messages_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_member_id_id', ['member_id', 'id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_outbox_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_delivered_at_next_attempt_at', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('referral_rewards',
    sa.Column('invitee_id', sa.String(length=64), nullable=False),
    sa.Column('inviter_id', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('package_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_referral_rewards_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['invitee_id'], ['members.id'], name=op.f('fk_referral_rewards_invitee_id_members')),
    sa.ForeignKeyConstraint(['inviter_id'], ['members.id'], name=op.f('fk_referral_rewards_inviter_id_members')),
    sa.ForeignKeyConstraint(['package_id'], ['campaign_packages.id'], name=op.f('fk_referral_rewards_package_id_campaign_packages')),
    sa.PrimaryKeyConstraint('invitee_id', name=op.f('pk_referral_rewards'))
    )

    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('package_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_vouchers_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_package_id'), ['package_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_vouchers_package_id_campaign_packages'), 'campaign_packages', ['package_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_vouchers_campaign_id_campaigns'), 'campaigns', ['campaign_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vouchers_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_vouchers_package_id_campaign_packages'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_vouchers_package_id'))
        batch_op.drop_index(batch_op.f('ix_vouchers_campaign_id'))
        batch_op.drop_column('package_id')
        batch_op.drop_column('campaign_id')

    op.drop_table('referral_rewards')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_delivered_at_next_attempt_at')

    op.drop_table('outbox')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_member_id_id')

    op.drop_table('messages')

    op.drop_table('campaign_progress')

    with op.batch_alter_table('campaign_packages', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_packages_trigger_ref')

    op.drop_table('campaign_packages')

    op.drop_table('campaign_members')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_type_status')

    op.drop_table('campaigns')
