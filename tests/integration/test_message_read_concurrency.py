"""Marking messages read under parallel requests: each message is marked once, with one read_at."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from evperks.services import messages, messages_store
from tests import factories as f


def test_parallel_marking_reads_each_message_once_and_leaves_none_unread(ctx):
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    member_id = f.member(ctx)["id"]
    with ctx.db.write() as conn:
        ids = messages_store.post_messages(conn, ctx, type="recharge_credited", now=ctx.clock.now(),
                                     entries=[(member_id, {"amount_fen": n}) for n in range(30)])
    chosen = [None, ids[:10], ids[5:20], None, ids[::2], ids[-1:]]

    def mark(which):
        if which is None:
            return messages.mark_read(ctx, member_id=member_id)
        return messages.mark_read(ctx, member_id=member_id, message_ids=which)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(mark, chosen * 3))

    assert sum(a["marked"] for a in answers) == 30
    listed = messages.list_messages(ctx, member_id=member_id, limit=50)
    assert listed["unread_count"] == 0
    assert {m["read_at"] for m in listed["items"]} == {ctx.clock.now()}
