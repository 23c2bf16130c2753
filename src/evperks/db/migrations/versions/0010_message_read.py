"""Messages: the unread ones of a member, indexed

Marking messages read (``POST /members/{id}/messages/read``) and the unread counts of the message
centre and the H5 both look for a member's messages with ``read_at IS NULL``. The partial index holds
only unread messages, so it stays small as members read them.

Revision ID: 0010_message_read
Revises: 0009_login_throttle
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_message_read"
down_revision: str | Sequence[str] | None = "0009_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_member_id_unread', ['member_id', 'id'], unique=False,
                              sqlite_where=sa.text('read_at IS NULL'),
                              postgresql_where=sa.text('read_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_member_id_unread')
