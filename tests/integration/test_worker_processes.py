"""``evperks worker`` and ``evperks serve`` as processes: killed with -9 in the middle of a one-time grant,
the grant is taken over by another worker once the short lease runs out; stopped with SIGTERM, they give
the grant back at once. Either way every bound member ends with exactly one package."""

from __future__ import annotations

import signal
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from evperks.db.tables import campaign_packages, campaigns, jobs, members, vouchers
from evperks.jobs.scheduler import run_due
from evperks.services.campaigns import binding, jobkeys, lifecycle
from evperks.services.context import Context
from evperks.services.member_search import MemberFilter
from tests import factories as f
from tests.live import free_port
from tests.processes import evperks_env, start, wait_for, wait_until_serving

MEMBERS = 3000
BATCH = 50  # many small batches, so that a signal lands in the middle of the grant
ISSUE_AT = f.local(2026, 3, 12, 10)
pytestmark = pytest.mark.slow


def insert_members(ctx: Context, count: int) -> None:
    """``count`` members at once (the services register one at a time, too slow for thousands)."""
    registered = f.local(2026, 1, 1)
    with ctx.db.write() as conn:
        conn.execute(insert(members), [
            {"id": f"m{n:05d}", "phone": f"137{n:08d}", "invite_code": f"K{n:07d}", "registered_at": registered,
             "created_at": registered}
            for n in range(count)
        ])


def publish_one_time_grant(ctx: Context, *, issue_at: datetime, total: int, reward: list[dict]) -> int:
    """A one-time campaign (window 2026-03-11 to 04-01) binding every member; the clock must be before 03-11."""
    campaign = lifecycle.create_campaign(ctx, fields={
        "type": "one_time", "name": "老用户回馈", "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 4, 1),
        "issue_at": issue_at, "rules_text": "每人一份", "total_packages": total, "reward": reward})
    binding.bind_members(ctx, campaign["id"], flt=MemberFilter())
    lifecycle.publish_campaign(ctx, campaign["id"])
    return campaign["id"]


def one_time_grant_due(ctx: Context) -> int:
    """A one-time campaign binding MEMBERS members, its issue_at reached on the sandbox clock."""
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    insert_members(ctx, MEMBERS)
    reward = [{"template_id": f.template(ctx)["id"], "quantity": 1}]
    campaign_id = publish_one_time_grant(ctx, issue_at=ISSUE_AT, total=MEMBERS, reward=reward)
    ctx.clock.move_to(ISSUE_AT)
    return campaign_id


def packages_given(ctx: Context) -> int:
    with ctx.db.read() as conn:
        return conn.execute(select(func.count()).select_from(campaign_packages)).scalar_one()


def grant_job(ctx: Context) -> Any:
    with ctx.db.read() as conn:
        return conn.execute(select(jobs).where(jobs.c.kind == jobkeys.ONE_TIME_GRANT)).one()


def assert_everyone_has_exactly_one_package(ctx: Context, campaign_id: int) -> None:
    with ctx.db.read() as conn:
        per_member = conn.execute(
            select(campaign_packages.c.member_id, func.count()).group_by(campaign_packages.c.member_id)).all()
        vouchers_per_member = conn.execute(select(func.count(), func.count(vouchers.c.member_id.distinct()))).one()
        given = conn.execute(select(campaigns.c.packages_given).where(campaigns.c.id == campaign_id)).scalar_one()
    assert len(per_member) == MEMBERS
    assert {count for _, count in per_member} == {1}
    assert tuple(vouchers_per_member) == (MEMBERS, MEMBERS)
    assert given == MEMBERS


def worker_env(database_url: str) -> dict[str, str]:
    return evperks_env(database_url, sandbox="1", job_lease_seconds="5", scheduler_interval_seconds="0.05",
                       one_time_batch_size=str(BATCH))


def mid_grant(ctx: Context) -> bool:
    return 0 < packages_given(ctx) < MEMBERS - 10 * BATCH


def stop(process: subprocess.Popen, signum: int) -> int:
    process.send_signal(signum)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_a_grant_whose_worker_is_killed_is_finished_by_another_worker_with_one_package_each(
    ctx: Context, database_url: str, tmp_path: Path
) -> None:
    campaign_id = one_time_grant_due(ctx)
    env = worker_env(database_url)
    first = start(["worker"], env, tmp_path / "first.log")
    try:
        wait_for(lambda: mid_grant(ctx), "the first worker is in the middle of the grant", process=first)
    finally:
        first.kill()  # SIGKILL: no chance to give the job back
        first.wait(timeout=30)
    killed_at = packages_given(ctx)
    second = start(["worker"], env, tmp_path / "second.log")
    try:
        wait_for(lambda: grant_job(ctx).status == "done", "the second worker finished the grant", process=second)
    finally:
        assert stop(second, signal.SIGTERM) == 0

    assert killed_at < MEMBERS
    job = grant_job(ctx)
    assert (job.status, job.attempts) == ("done", 2)
    assert f":{second.pid}:" in job.locked_by
    assert_everyone_has_exactly_one_package(ctx, campaign_id)


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_sigterm_stops_the_process_and_gives_its_unfinished_grant_back_at_once(
    ctx: Context, database_url: str, tmp_path: Path, command: str
) -> None:
    campaign_id = one_time_grant_due(ctx)
    args = ["worker"] if command == "worker" else ["serve", "--port", str(port := free_port())]
    process = start(args, worker_env(database_url), tmp_path / f"{command}.log")
    try:
        if command == "serve":
            wait_until_serving(f"http://127.0.0.1:{port}", process)
        wait_for(lambda: packages_given(ctx) > 0, "the grant has begun", process=process)
    finally:
        status = stop(process, signal.SIGTERM)

    job = grant_job(ctx)
    # uvicorn shuts down gracefully, then raises the signal it caught again, so serve ends "by SIGTERM".
    assert status == (0 if command == "worker" else -signal.SIGTERM)
    # Given back (pending, the attempt not counted, no lease left), unless it was finished before the signal.
    assert (job.status, job.locked_until, job.attempts) in {("pending", None, 0), ("done", None, 1)}
    ran = run_due(ctx)  # the sandbox tick, at once: no lease to wait out
    if job.status == "pending":
        assert (jobkeys.ONE_TIME_GRANT, "done") in [(r["kind"], r["status"]) for r in ran]
    assert_everyone_has_exactly_one_package(ctx, campaign_id)
