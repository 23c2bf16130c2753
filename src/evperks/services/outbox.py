"""The outbox: member messages queued for the webhook in the transaction that posted them, and their
delivery, every one POSTed to ``EVPERKS_WEBHOOK_URL``.

Queueing (``queue_webhooks``) is a store function: it runs inside the caller's transaction, so a rolled
back change never sends anything and a committed one is delivered. Each row carries a fresh event id.

Body: the outbox row's payload ``{id, type, member_id, created_at, data}`` as compact JSON; header
``X-Evperks-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with EVPERKS_WEBHOOK_SECRET>``.
Delivery is at least once with the same ``id`` on every attempt:

1. claim: one short write transaction takes due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
   SQLite's ``BEGIN IMMEDIATE`` serialises claimers), counts the attempt and pushes
   ``next_attempt_at`` a lease ahead, so no other process takes them while they are in flight;
2. POST each row outside any transaction (httpx, with a timeout);
3. record: a 2xx sets ``delivered_at``; anything else sets ``last_error`` and the next attempt after an
   exponential backoff (2^attempts seconds, at most an hour). A process dying after (1) leaves rows
   that become due again when the lease runs out.

Times are on the schedule clock (``ctx.clock``), like the rows' ``next_attempt_at``: in a sandbox
standing still, a failed delivery is retried once the clock is moved (or the real clock catches up).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Connection, and_, insert, select, update

from evperks.db.tables import outbox
from evperks.services.context import Context
from evperks.services.results import Result, result

log = logging.getLogger("evperks.webhooks")

BATCH = 50
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 3600
SIGNATURE_HEADER = "X-Evperks-Signature"


@result
class Delivery(Result):
    """One delivery run: rows delivered, and rows that failed (retried after a backoff)."""

    delivered: int
    failed: int


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


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts, 0), MAX_BACKOFF_SECONDS))


def deliver_webhooks(ctx: Context, *, batch: int = BATCH, client: httpx.Client | None = None) -> Delivery:
    """Deliver the due outbox rows once each."""
    url = ctx.settings.webhook_url
    if not url:
        return Delivery(delivered=0, failed=0)
    claimed = _claim(ctx, batch)
    if not claimed:
        return Delivery(delivered=0, failed=0)
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    delivered = failed = 0
    try:
        for row in claimed:
            error = _post(client, url, ctx.settings.webhook_secret, row.payload)
            _record(ctx, row, error)
            if error is None:
                delivered += 1
            else:
                failed += 1
    finally:
        if own_client:
            client.close()
    return Delivery(delivered=delivered, failed=failed)


def _claim(ctx: Context, batch: int) -> list:
    now = ctx.clock.now()
    o = outbox.c
    with ctx.db.write() as conn:
        ids = select(o.id).where(o.delivered_at.is_(None), o.next_attempt_at <= now).order_by(o.next_attempt_at, o.id)
        ids = conn.execute(ids.limit(batch).with_for_update(skip_locked=True)).scalars().all()
        if not ids:
            return []
        return conn.execute(
            update(outbox).where(o.id.in_(ids), o.delivered_at.is_(None))
            .values(attempts=o.attempts + 1, next_attempt_at=now + LEASE)
            .returning(o.id, o.event_id, o.payload, o.attempts)
        ).all()


def _post(client: httpx.Client, url: str, secret: str | None, payload: dict) -> str | None:
    """None on a 2xx, else what went wrong."""
    body = body_bytes(payload)
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:500]}"


def _record(ctx: Context, row, error: str | None) -> None:
    now = ctx.clock.now()
    o = outbox.c
    values: dict = {"delivered_at": now, "last_error": None} if error is None else {
        "next_attempt_at": now + backoff(row.attempts), "last_error": error}
    if error is not None:
        log.warning("webhook %s attempt %s failed: %s", row.event_id, row.attempts, error)
    where = and_(o.id == row.id, o.delivered_at.is_(None))
    if error is not None:  # a failure is only recorded while this claim still holds the row
        where = and_(where, o.attempts == row.attempts)
    with ctx.db.write() as conn:
        conn.execute(update(outbox).where(where).values(**values))
