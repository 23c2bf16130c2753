"""Webhook delivery of member messages to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from evperks.db.tables import outbox
from evperks.jobs.scheduler import run_due
from evperks.services.context import Context
from evperks.services.messages_store import post_message
from evperks.services.outbox import deliver_webhooks
from tests import factories as f

SECRET = "webhook-secret"


class Receiver:
    """Records every request; answers 500 to the first ``failures`` of them, then 200."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[bytes, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((body, dict(self.headers)))
                    fail = len(receiver.requests) <= receiver.failures
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [json.loads(body)["id"] for body, _ in self.requests]


@pytest.fixture
def receiver():
    r = Receiver(failures=1)
    yield r
    r.close()


def with_webhook(ctx: Context, url: str) -> Context:
    settings = ctx.settings.model_copy(update={"webhook_url": url, "webhook_secret": SECRET})
    return Context(db=ctx.db, clock=ctx.clock, settings=settings)


def post(ctx: Context, member_id: str, n: int = 1) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        for i in range(n):
            post_message(conn, ctx, member_id=member_id, type="voucher_received", now=now, data={"n": i})


def outbox_rows(ctx: Context) -> list:
    with ctx.db.read() as conn:
        return conn.execute(select(outbox).order_by(outbox.c.id)).all()


def test_a_failed_delivery_is_retried_after_its_backoff_with_the_same_id_and_a_valid_signature(ctx, receiver):
    hooked = with_webhook(ctx, receiver.url)
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    member = f.member(hooked)["id"]
    post(hooked, member)

    first = deliver_webhooks(hooked)
    too_early = deliver_webhooks(hooked)
    ctx.clock.move_to(f.local(2026, 3, 12, 12) + timedelta(seconds=3))
    second = deliver_webhooks(hooked)

    assert (first, too_early, second) == ({"delivered": 0, "failed": 1}, {"delivered": 0, "failed": 0},
                                         {"delivered": 1, "failed": 0})
    (row,) = outbox_rows(ctx)
    assert receiver.ids() == [row.event_id, row.event_id]
    for body, headers in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Evperks-Signature"] == expected
        assert json.loads(body) == row.payload
        assert set(json.loads(body)) == {"id", "type", "member_id", "created_at", "data"}
    assert row.delivered_at is not None and row.attempts == 2 and row.last_error is None


def test_a_delivered_message_is_not_sent_again(ctx, receiver):
    hooked = with_webhook(ctx, receiver.url)
    receiver.failures = 0
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    post(hooked, f.member(hooked)["id"])
    assert deliver_webhooks(hooked) == {"delivered": 1, "failed": 0}
    ctx.clock.move_to(f.local(2026, 3, 13))
    assert deliver_webhooks(hooked) == {"delivered": 0, "failed": 0}
    assert len(receiver.requests) == 1


def test_parallel_deliverers_claim_each_message_once(ctx, receiver):
    hooked = with_webhook(ctx, receiver.url)
    receiver.failures = 0
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    post(hooked, f.member(hooked)["id"], n=30)

    def drain(_):
        while deliver_webhooks(hooked, batch=3)["delivered"]:
            pass

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(drain, range(4)))
    assert sorted(receiver.ids()) == sorted(r.event_id for r in outbox_rows(ctx))
    assert all(r.delivered_at is not None for r in outbox_rows(ctx))


def test_the_scheduler_delivers_webhooks_as_a_periodic_job(ctx, receiver):
    hooked = with_webhook(ctx, receiver.url)
    receiver.failures = 0
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    post(hooked, f.member(hooked)["id"])
    ran = run_due(hooked)
    assert [r["result"] for r in ran if r["kind"] == "webhook_delivery"] == [{"delivered": 1, "failed": 0}]
    assert len(receiver.requests) == 1


def test_an_unreachable_receiver_is_recorded_as_an_error_and_retried_later(ctx):
    hooked = with_webhook(ctx, "http://127.0.0.1:9/nothing-listens-here")
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    post(hooked, f.member(hooked)["id"])
    assert deliver_webhooks(hooked) == {"delivered": 0, "failed": 1}
    (row,) = outbox_rows(ctx)
    assert row.delivered_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == f.local(2026, 3, 12, 12) + timedelta(seconds=2)
