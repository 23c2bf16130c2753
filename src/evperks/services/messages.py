"""The member message centre (消息): reading and marking read. Posting is ``messages_store``.

A message is unread until the member opens it (the H5) or the platform marks it read; ``read_at`` keeps
the first time, so marking it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from evperks.db.tables import messages
from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.services.lookups import require_member
from evperks.services.messages_store import count_unread
from evperks.services.pagination import newest_first
from evperks.services.results import Result, result


@result
class Message(Result):
    id: int
    type: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


@result
class MessagePage(Result):
    """A page of the message centre, and how many of all the member's messages are unread."""

    items: list[Message]
    next_cursor: str | None
    unread_count: int


@result
class MarkedRead(Result):
    marked: int  # newly read by this call
    unread_count: int


def list_messages(ctx: Context, *, member_id: str, unread: bool = False, limit: int = 50,
                  cursor: str | None = None) -> MessagePage:
    """The member's message centre, newest first (only the unread ones with ``unread``), and how many
    are unread."""
    stmt = select(messages).where(messages.c.member_id == member_id)
    if unread:
        stmt = stmt.where(messages.c.read_at.is_(None))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows, next_cursor = newest_first(conn, stmt, messages.c.id, limit=limit, cursor=cursor)
        unread_count = count_unread(conn, member_id)
    items = [Message(id=r.id, type=r.type, data=r.data, created_at=r.created_at, read_at=r.read_at) for r in rows]
    return MessagePage(items=items, next_cursor=next_cursor, unread_count=unread_count)


def mark_read(ctx: Context, *, member_id: str, message_ids: Collection[int] | None = None,
              up_to_id: int | None = None) -> MarkedRead:
    """Mark the member's messages read: those of ``message_ids``, or those up to ``up_to_id`` (the newest
    one a reader has seen), or, with neither, all of them."""
    now = ctx.clock.now()
    chosen = messages.c.member_id == member_id
    with ctx.db.write() as conn:
        require_member(conn, member_id)
        if message_ids is not None:
            _require_own(conn, member_id, message_ids)
            chosen &= messages.c.id.in_(set(message_ids))
        elif up_to_id is not None:
            chosen &= messages.c.id <= up_to_id
        marked = conn.execute(update(messages).where(chosen, messages.c.read_at.is_(None)).values(read_at=now)).rowcount
        return MarkedRead(marked=marked, unread_count=count_unread(conn, member_id))


def _require_own(conn: Connection, member_id: str, message_ids: Collection[int]) -> None:
    wanted = set(message_ids)
    own = set(conn.execute(select(messages.c.id).where(messages.c.member_id == member_id,
                                                        messages.c.id.in_(wanted))).scalars())
    if wanted - own:
        shown = ", ".join(str(i) for i in sorted(wanted - own)[:10])
        raise Invalid("not messages of this member: %(ids)s", field="message_ids", code="message.not_own", ids=shown)
