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
    if type not in MESSAGE_TYPES:
        raise ValueError(f"unknown message type {type!r}")
    message_id = conn.execute(
        insert(messages).values(member_id=member_id, type=type, data=data, created_at=now)
    ).inserted_primary_key[0]
    if ctx.settings.webhook_url:
        event_id = str(uuid.uuid4())
        payload = {"id": event_id, "type": type, "member_id": member_id, "created_at": now.isoformat(), "data": data}
        conn.execute(
            insert(outbox).values(
                event_id=event_id, message_id=message_id, payload=payload, created_at=now, next_attempt_at=now
            )
        )
    return message_id
