"""The member message centre (消息) and the outbox that carries each message to the webhook.

A message is written in the same transaction as the change that caused it, and so is its outbox row:
a rolled-back change never sends anything, and a committed one is delivered at least once. A message
is unread until the member opens it (the H5) or the platform marks it read; ``read_at`` keeps the first
time, so marking it again changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from evperks.db.tables import messages, outbox
from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.services.lookups import require_member
from evperks.services.pagination import newest_first

# The kinds of message members receive; the H5 and the webhook receiver switch on these.
MESSAGE_TYPES = (
    "voucher_received",
    "campaign_progress",
    "campaign_countdown",
    "points_expiring",
    "recharge_credited",
)


def post_message(conn: Connection, ctx: Context, *, member_id: str, type: str, data: dict, now: datetime) -> int:
    """Put a message in the member's message centre and, with a webhook configured, in the outbox."""
    return post_messages(conn, ctx, type=type, entries=[(member_id, data)], now=now)[0]


def post_messages(conn: Connection, ctx: Context, *, type: str, entries: list[tuple[str, dict]], now: datetime) -> list[int]:
    """Many messages of one type, ``(member_id, data)`` each, in one batched INSERT; their ids."""
    if type not in MESSAGE_TYPES:
        raise ValueError(f"unknown message type {type!r}")
    if not entries:
        return []
    posted = conn.execute(
        insert(messages).returning(messages.c.id, messages.c.member_id, messages.c.data, sort_by_parameter_order=True),
        [{"member_id": member_id, "type": type, "data": data, "created_at": now} for member_id, data in entries],
    ).all()
    queue_webhooks(conn, ctx, type=type, posted=posted, now=now)
    return [row.id for row in posted]


def queue_webhooks(conn: Connection, ctx: Context, *, type: str, posted: list, now: datetime) -> None:
    """Outbox rows for messages just posted (rows with id, member_id and data), when a webhook is set.
    Each carries the event id the receiver will see on every delivery attempt."""
    if not ctx.settings.webhook_url or not posted:
        return
    rows = []
    for message in posted:
        event_id = str(uuid.uuid4())
        payload = {"id": event_id, "type": type, "member_id": message.member_id, "created_at": now.isoformat(),
                   "data": message.data}
        rows.append({"event_id": event_id, "message_id": message.id, "payload": payload, "created_at": now,
                     "next_attempt_at": now})
    conn.execute(insert(outbox), rows)


def list_messages(ctx: Context, *, member_id: str, unread: bool = False, limit: int = 50,
                  cursor: str | None = None) -> dict:
    """The member's message centre, newest first (only the unread ones with ``unread``), and how many
    are unread."""
    stmt = select(messages).where(messages.c.member_id == member_id)
    if unread:
        stmt = stmt.where(messages.c.read_at.is_(None))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows, next_cursor = newest_first(conn, stmt, messages.c.id, limit=limit, cursor=cursor)
        unread_count = count_unread(conn, member_id)
    items = [{"id": r.id, "type": r.type, "data": r.data, "created_at": r.created_at, "read_at": r.read_at}
             for r in rows]
    return {"items": items, "next_cursor": next_cursor, "unread_count": unread_count}


def mark_read(ctx: Context, *, member_id: str, message_ids: Collection[int] | None = None,
              up_to_id: int | None = None) -> dict:
    """Mark the member's messages read: those of ``message_ids``, or those up to ``up_to_id`` (the newest
    one a reader has seen), or, with neither, all of them. ``{"marked": newly read, "unread_count"}``."""
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
        return {"marked": marked, "unread_count": count_unread(conn, member_id)}


def count_unread(conn: Connection, member_id: str) -> int:
    return conn.execute(
        select(func.count()).select_from(messages).where(messages.c.member_id == member_id, messages.c.read_at.is_(None))
    ).scalar_one()


def _require_own(conn: Connection, member_id: str, message_ids: Collection[int]) -> None:
    wanted = set(message_ids)
    own = set(conn.execute(select(messages.c.id).where(messages.c.member_id == member_id,
                                                        messages.c.id.in_(wanted))).scalars())
    if wanted - own:
        shown = ", ".join(str(i) for i in sorted(wanted - own)[:10])
        raise Invalid("not messages of this member: %(ids)s", field="message_ids", code="message.not_own", ids=shown)
