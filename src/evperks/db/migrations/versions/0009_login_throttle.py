"""Console sign-in throttling per (name, address), per address and per name

The old table counted failures per username only, and after the password check. The new one keeps one
counter per subject ("pair:<address> <username>", "address:<address>", "name:<username>"), and a sign-in
takes its slot before the password is checked (see services/admin_sessions). The counters are
short-lived, so the table is replaced rather than converted: an upgrade forgets the current failures.

Revision ID: 0009_login_throttle
Revises: 0008_wechat_pay
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_login_throttle"
down_revision: str | Sequence[str] | None = "0008_wechat_pay"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=False),
    sa.Column('signed_in_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_login_throttle_failures_not_negative')),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_login_throttle'))
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_failure_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_login_throttle'))
    )
