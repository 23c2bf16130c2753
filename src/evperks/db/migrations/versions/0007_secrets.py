"""Signing secrets generated once and shared by every node: the secrets table

Revision ID: 0007_secrets
Revises: 0006_dashboard_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_secrets"
down_revision: str | Sequence[str] | None = "0006_dashboard_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('secrets',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(retired_at IS NULL) = (valid_until IS NULL)', name=op.f('ck_secrets_retired_with_end')),
    sa.CheckConstraint('version > 0', name=op.f('ck_secrets_version_positive')),
    sa.PrimaryKeyConstraint('name', 'version', name=op.f('pk_secrets'))
    )
    with op.batch_alter_table('secrets', schema=None) as batch_op:
        batch_op.create_index('uq_secrets_current', ['name'], unique=True,
                              sqlite_where=sa.text('retired_at IS NULL'),
                              postgresql_where=sa.text('retired_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('secrets', schema=None) as batch_op:
        batch_op.drop_index('uq_secrets_current')

    op.drop_table('secrets')
