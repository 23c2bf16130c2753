"""Campaigns: the type is checked by the type registry, not by the database

A campaign type is one module plus one line in ``services.campaigns.types``; the CHECK constraint that
listed the five types would have made a sixth one a migration too. The API and the console refuse a
type the registry does not know.

Revision ID: 0011_campaign_type_open
Revises: 0010_message_read
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_campaign_type_open"
down_revision: str | Sequence[str] | None = "0010_message_read"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIVE_TYPES = "type IN ('referral', 'registration', 'recharge', 'one_time', 'consumption')"


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_campaigns_type'), type_='check')


def downgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_check_constraint('type', FIVE_TYPES)
