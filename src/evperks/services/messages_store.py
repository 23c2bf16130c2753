"""Posting member messages, in the caller's transaction: the change that caused a message and the
message (with its outbox row, ``services.outbox``) commit or roll back together, so a rolled-back change
never sends anything and a committed one is delivered at least once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from evperks.db.tables import messages
from evperks.services.context import Context
from evperks.services.outbox import queue_webhooks

# The kinds of message members receive; the H5 and the webhook receiver switch on these.
MESSAGE_TYPES = (
    "voucher_received",
    "campaign_progress",
    "campaign_countdown",
    "points_expiring",
    "recharge_credited",
    "wallet_paid",  # the wallet paid (part of) a charge order
    "order_refunded",
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


def count_unread(conn: Connection, member_id: str) -> int:
    return conn.execute(
        select(func.count()).select_from(messages).where(messages.c.member_id == member_id, messages.c.read_at.is_(None))
    ).scalar_one()
