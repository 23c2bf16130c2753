"""A one-time grant gives each bound member one package at issue_at, in binding order, up to the budget;
a crash at any point and a rerun neither skip anyone nor give anyone a second package."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evperks.db.tables import campaign_packages, campaigns, messages, vouchers
from evperks.jobs.scheduler import run_due
from evperks.services.campaigns import binding, lifecycle, one_time
from evperks.services.member_search import MemberFilter
from tests import factories as f

T0 = f.local(2026, 3, 10, 9)
ISSUE_AT = f.local(2026, 3, 12, 10)


class Crash(Exception):
    pass


def _one_time(ctx, *, members: int, total: int, quantities=(2, 1)) -> tuple[int, list[str]]:
    ctx.clock.move_to(T0)
    ids = [f.member(ctx, registered_at=f.local(2026, 1, 1, 8, i % 60, i // 60))["id"] for i in range(members)]
    reward = [{"template_id": f.template(ctx, 500 * (n + 1))["id"], "quantity": q} for n, q in enumerate(quantities)]
    campaign = lifecycle.create_campaign(ctx, fields={
        "type": "one_time", "name": "老用户回馈", "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 4, 1),
        "issue_at": ISSUE_AT, "rules_text": "每人一份", "total_packages": total, "reward": reward})
    binding.bind_members(ctx, campaign["id"], flt=MemberFilter())
    lifecycle.publish_campaign(ctx, campaign["id"])
    return campaign["id"], ids  # ids are in registration order, which is the binding order


def _per_member(ctx, campaign_id) -> dict[str, int]:
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(vouchers.c.member_id, func.count()).where(vouchers.c.campaign_id == campaign_id).group_by(vouchers.c.member_id)
        ).all()
    return dict(rows)


def _campaign(ctx, campaign_id):
    with ctx.db.read() as conn:
        return conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()


def test_nothing_is_given_before_issue_at_and_everyone_bound_gets_one_package_at_it(ctx):
    campaign_id, ids = _one_time(ctx, members=6, total=100)
    ctx.clock.move_to(f.local(2026, 3, 12, 9, 59, 59))
    run_due(ctx)
    assert _per_member(ctx, campaign_id) == {}
    ctx.clock.move_to(ISSUE_AT)
    run_due(ctx)
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids}
    campaign = _campaign(ctx, campaign_id)
    assert (campaign.status, campaign.packages_given) == ("active", 6)  # stays active until end_at
    with ctx.db.read() as conn:
        voucher_received = conn.execute(select(messages.c.member_id, messages.c.data).order_by(messages.c.id)).all()
    assert [m for m, _ in voucher_received] == ids
    assert all(len(data["voucher_ids"]) == 3 and data["campaign_id"] == campaign_id for _, data in voucher_received)


def test_a_budget_of_three_with_five_bound_gives_the_first_three_in_binding_order_and_ends_exhausted(ctx):
    campaign_id, ids = _one_time(ctx, members=5, total=3)
    ctx.clock.move_to(ISSUE_AT)
    run_due(ctx)
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids[:3]}
    campaign = _campaign(ctx, campaign_id)
    assert (campaign.status, campaign.ended_reason, campaign.packages_given) == ("ended", "exhausted", 3)


def test_a_grant_that_crashes_after_some_batches_resumes_without_skipping_or_repeating_anyone(ctx):
    campaign_id, ids = _one_time(ctx, members=23, total=20)
    ctx.clock.move_to(ISSUE_AT)

    def crash_after_two(batches):
        if batches == 2:
            raise Crash

    with pytest.raises(Crash):
        one_time.run_one_time_grant(ctx, campaign_id, batch_size=4, after_batch=crash_after_two)
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids[:8]}
    one_time.run_one_time_grant(ctx, campaign_id, batch_size=4)
    one_time.run_one_time_grant(ctx, campaign_id, batch_size=4)  # a second rerun finds nothing to do
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids[:20]}
    assert _campaign(ctx, campaign_id).ended_reason == "exhausted"


def test_a_crash_inside_a_batch_leaves_nothing_of_that_batch(ctx, monkeypatch):
    campaign_id, ids = _one_time(ctx, members=10, total=100)
    ctx.clock.move_to(ISSUE_AT)
    real = one_time._insert_messages
    calls = iter(range(100))

    def messages_then_crash(*args, **kwargs):
        real(*args, **kwargs)
        if next(calls) == 1:
            raise Crash  # after the packages, budget, vouchers and messages of batch 2 were written

    monkeypatch.setattr(one_time, "_insert_messages", messages_then_crash)
    with pytest.raises(Crash):
        one_time.run_one_time_grant(ctx, campaign_id, batch_size=3)
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids[:3]}
    assert _campaign(ctx, campaign_id).packages_given == 3
    monkeypatch.setattr(one_time, "_insert_messages", real)
    one_time.run_one_time_grant(ctx, campaign_id, batch_size=3)
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids}
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(campaign_packages)).scalar_one() == 10
        assert conn.execute(select(func.count()).select_from(messages)).scalar_one() == 10


def test_a_stopped_one_time_campaign_gives_nothing_at_issue_at(ctx):
    campaign_id, _ = _one_time(ctx, members=3, total=10)
    lifecycle.stop_campaign(ctx, campaign_id)
    ctx.clock.move_to(ISSUE_AT)
    run_due(ctx)
    assert _per_member(ctx, campaign_id) == {}


def test_members_can_no_longer_be_bound_once_the_grant_has_started(ctx):
    from evperks.services.errors import Conflict

    campaign_id, _ = _one_time(ctx, members=2, total=10)
    late = f.member(ctx)["id"]
    ctx.clock.move_to(ISSUE_AT)
    with pytest.raises(Conflict):
        binding.bind_members(ctx, campaign_id, member_ids=[late])


def test_publishing_a_one_time_grant_needs_issue_at_inside_the_window(ctx):
    from evperks.services.errors import Invalid

    ctx.clock.move_to(T0)
    member = f.member(ctx)["id"]
    campaign = lifecycle.create_campaign(ctx, fields={
        "type": "one_time", "name": "n", "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 4, 1),
        "issue_at": f.local(2026, 4, 1), "rules_text": "r", "total_packages": 1,
        "reward": [{"template_id": f.template(ctx)["id"], "quantity": 1}]})
    binding.bind_members(ctx, campaign["id"], member_ids=[member])
    with pytest.raises(Invalid) as excinfo:
        lifecycle.publish_campaign(ctx, campaign["id"])
    assert [e.field for e in excinfo.value.errors] == ["issue_at"]


def _grant_until_killed(database_url: str, campaign_id: int, kill_at_voucher_insert: int) -> None:
    """In a child process: run the grant and SIGKILL this process in the middle of a batch's
    transaction, right before its n-th voucher INSERT — no rollback, no cleanup, as in a real crash."""
    import os
    import signal

    from sqlalchemy import event

    from evperks.config import Settings
    from evperks.services.context import Context

    ctx = Context.from_settings(Settings(database_url=database_url, sandbox=True, scheduler=False))
    inserts = 0

    def maybe_die(conn, cursor, statement, *args):
        nonlocal inserts
        if statement.lstrip().upper().startswith("INSERT INTO VOUCHERS"):
            inserts += 1
            if inserts == kill_at_voucher_insert:
                os.kill(os.getpid(), signal.SIGKILL)

    event.listen(ctx.db.engine, "before_cursor_execute", maybe_die)
    one_time.run_one_time_grant(ctx, campaign_id, batch_size=4)


def test_a_grant_whose_process_is_killed_mid_batch_resumes_with_one_package_each(ctx, database_url):
    import multiprocessing

    campaign_id, ids = _one_time(ctx, members=23, total=20)
    ctx.clock.move_to(ISSUE_AT)
    child = multiprocessing.get_context("spawn").Process(target=_grant_until_killed, args=(database_url, campaign_id, 3))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -9  # killed, not finished
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids[:4]}  # batch 1 committed, batch 2 left nothing
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(campaign_packages)).scalar_one() == 4
    one_time.run_one_time_grant(ctx, campaign_id, batch_size=4)
    assert _per_member(ctx, campaign_id) == {m: 3 for m in ids[:20]}
    assert _campaign(ctx, campaign_id).packages_given == 20
