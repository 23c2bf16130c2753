"""The member message centre (消息) and the outbox that carries each message to the webhook.

A message is written in the same transaction as the change that caused it, and so is its outbox row:
a rolled-back change never sends anything, and a committed one is delivered at least once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, insert

from evperks.db.tables import messages, outbox
from evperks.services.context import Context

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
