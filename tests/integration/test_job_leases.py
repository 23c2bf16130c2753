"""Job leases: a heartbeat keeps a running job's lease, a dead worker's job is taken over as soon as its
lease runs out (by any worker and by the sandbox tick), a shutdown gives the job back at once, and a
worker whose lease was taken over can neither renew it nor record an outcome.

Leases run on the real clock; these tests pass their own real clock (``real_now``/``real_clock``) so
that they move it instead of waiting for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from evperks.db.schedule import enqueue
from evperks.db.tables import campaign_packages, jobs
from evperks.jobs.kinds import default_registry
from evperks.jobs.lease import Lease, LeaseLost, checkpoint
from evperks.jobs.queue import claim_next, release, renew_lease
from evperks.jobs.registry import Registry
from evperks.jobs.runner import run_claimed
from evperks.jobs.scheduler import run_due, start_in_thread
from evperks.services.campaigns import binding, jobkeys, lifecycle
from evperks.services.context import Context
from evperks.services.member_search import MemberFilter
from tests import factories as f

T0 = datetime(2099, 3, 1, 10, 0, tzinfo=UTC)
R0 = datetime(2031, 5, 1, 8, 0, tzinfo=UTC)  # the tests' real clock starts here
LEASE = timedelta(seconds=30)  # the default EVPERKS_JOB_LEASE_SECONDS the ctx fixture runs with


class RealClock:
    """A real clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Kinds:
    """Test job kinds: ``hold`` blocks until released by the test; ``batches`` works in checkpointed batches."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.started = threading.Event()
        self.proceed = threading.Event()
        self.batches_done = 0

    def registry(self) -> Registry:
        registry = Registry()
        registry.add_kind("hold", self._hold)
        registry.add_kind("batches", self._batches)
        return registry

    def _hold(self, ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("hold")
        self.started.set()
        assert self.proceed.wait(30), "the test never let the job finish"
        return {"held": True}

    def _batches(self, ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("batches")
        for _ in range(3):
            self.batches_done += 1
            self.started.set()
            assert self.proceed.wait(30), "the test never let the job go on"
            checkpoint()
        return {"batches": self.batches_done}


@pytest.fixture
def kinds() -> Kinds:
    return Kinds()


def enqueue_job(ctx: Context, kind: str, task_key: str = "leased") -> None:
    with ctx.db.write() as conn:
        enqueue(conn, kind=kind, task_key=task_key, run_at=T0)


def job_row(ctx: Context) -> Any:
    with ctx.db.read() as conn:
        return conn.execute(select(jobs)).one()


def wait_for(outcome: Callable[[], bool], what: str) -> None:
    """Wait for an outcome another thread produces (not for a duration); fail after a generous deadline."""
    deadline = time.monotonic() + 20
    while not outcome():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def test_the_heartbeat_renews_a_long_jobs_lease_so_no_second_worker_takes_it(ctx: Context, kinds: Kinds) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "hold")
    clock = RealClock(R0)
    job = claim_next(ctx, "worker-a", real_now=clock())
    assert job is not None
    reports: list[dict] = []
    runner = threading.Thread(target=lambda: reports.append(
        run_claimed(ctx, job, kinds.registry(), real_clock=clock, heartbeat_seconds=0.01)))
    runner.start()
    try:
        assert kinds.started.wait(20)
        for beat_at in (R0 + timedelta(seconds=25), R0 + timedelta(seconds=50)):
            clock.now = beat_at
            wait_for(lambda at=beat_at: job_row(ctx).locked_until == at + LEASE, "the lease was renewed")
            # Past the lease the job was claimed with, and past the one before this renewal.
            assert claim_next(ctx, "worker-b", real_now=beat_at + LEASE - timedelta(seconds=1)) is None
    finally:
        kinds.proceed.set()
        runner.join(30)

    assert [r["status"] for r in reports] == ["done"]
    assert kinds.calls == ["hold"]
    row = job_row(ctx)
    assert (row.status, row.locked_by, row.attempts, row.result) == ("done", "worker-a", 1, {"held": True})


def test_a_dead_workers_job_is_taken_over_by_the_next_claim_as_soon_as_its_lease_runs_out(ctx: Context) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "hold")
    dead = claim_next(ctx, "worker-a", real_now=R0)  # then killed: it never renews
    assert dead is not None

    assert claim_next(ctx, "worker-b", real_now=R0 + LEASE - timedelta(microseconds=1)) is None
    rescued = claim_next(ctx, "worker-b", real_now=R0 + LEASE)

    assert rescued is not None
    assert (rescued.id, rescued.attempts, rescued.worker_id) == (dead.id, 2, "worker-b")


def test_the_sandbox_tick_takes_over_a_dead_workers_job_once_its_lease_runs_out(ctx: Context, kinds: Kinds) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "hold")
    assert claim_next(ctx, "worker-a", real_now=R0) is not None
    kinds.proceed.set()

    early = run_due(ctx, worker_id="sandbox-tick", registry=kinds.registry(), real_clock=lambda: R0 + LEASE / 2)
    ran = run_due(ctx, worker_id="sandbox-tick", registry=kinds.registry(), real_clock=lambda: R0 + LEASE)

    assert early == []
    assert [(r["status"], r["result"]) for r in ran] == [("done", {"held": True})]
    assert kinds.calls == ["hold"]
    row = job_row(ctx)
    assert (row.status, row.locked_by, row.attempts) == ("done", "sandbox-tick", 2)


def test_a_released_job_is_claimable_at_once_and_its_claim_is_not_counted_as_an_attempt(ctx: Context) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "hold")
    job = claim_next(ctx, "worker-a", real_now=R0)
    assert job is not None

    assert release(ctx, job)
    row = job_row(ctx)
    again = claim_next(ctx, "worker-b", real_now=R0)

    assert (row.status, row.locked_by, row.locked_until, row.attempts) == ("pending", None, None, 0)
    assert again is not None
    assert (again.id, again.attempts) == (job.id, 1)


def test_a_worker_whose_lease_was_taken_over_can_neither_renew_release_nor_finish_it(ctx: Context, kinds: Kinds) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "hold")
    stalled = claim_next(ctx, "worker-a", real_now=R0)
    rescued = claim_next(ctx, "worker-b", real_now=R0 + LEASE)
    assert stalled is not None and rescued is not None
    kinds.proceed.set()

    renewed = renew_lease(ctx, stalled, real_now=R0 + LEASE)
    released = release(ctx, stalled)
    with Lease(ctx, stalled, real_clock=lambda: R0 + LEASE) as lease, pytest.raises(LeaseLost):
        lease.checkpoint()
    late = run_claimed(ctx, stalled, kinds.registry(), real_clock=lambda: R0 + LEASE)

    assert (renewed, released, late["status"]) == (False, False, "lost")
    row = job_row(ctx)
    assert (row.status, row.locked_by, row.attempts, row.locked_until) == ("running", "worker-b", 2, R0 + 2 * LEASE)


def fast_polling(ctx: Context) -> Context:
    return Context(db=ctx.db, clock=ctx.clock, settings=ctx.settings.model_copy(update={"scheduler_interval_seconds": 0.01}))


def test_stopping_the_scheduler_gives_a_batch_jobs_run_back_at_its_next_batch(ctx: Context, kinds: Kinds) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "batches")
    scheduler = start_in_thread(fast_polling(ctx), registry=kinds.registry())
    try:
        assert kinds.started.wait(20), "the scheduler never started the job"
        scheduler.stop_event.set()
    finally:
        kinds.proceed.set()
        scheduler.stop(timeout=20)

    assert not scheduler.thread.is_alive()
    assert kinds.batches_done == 1
    row = job_row(ctx)
    assert (row.status, row.locked_by, row.locked_until, row.attempts) == ("pending", None, None, 0)
    assert claim_next(ctx, "worker-b") is not None


def test_a_job_still_running_when_the_scheduler_must_stop_is_released_and_its_late_end_is_refused(
    ctx: Context, kinds: Kinds
) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, "hold")
    scheduler = start_in_thread(fast_polling(ctx), registry=kinds.registry())
    try:
        assert kinds.started.wait(20), "the scheduler never started the job"
        scheduler.stop(timeout=0)  # the job is blocked, so it is certainly still running
        released = job_row(ctx)
    finally:
        kinds.proceed.set()
        scheduler.thread.join(20)

    assert (released.status, released.locked_by, released.attempts) == ("pending", None, 0)
    assert job_row(ctx).status == "pending", "the thread recorded an outcome for a run it had given back"
    assert kinds.calls == ["hold"]


def test_a_one_time_grant_stopped_for_a_shutdown_resumes_and_gives_each_member_one_package(ctx: Context) -> None:
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    members = [f.member(ctx)["id"] for _ in range(4)]
    template = f.template(ctx)
    campaign = lifecycle.create_campaign(ctx, fields={
        "type": "one_time", "name": "回馈", "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 4, 1),
        "issue_at": f.local(2026, 3, 12, 10), "rules_text": "每人一份", "total_packages": 100,
        "reward": [{"template_id": template["id"], "quantity": 1}]})
    binding.bind_members(ctx, campaign["id"], flt=MemberFilter())
    lifecycle.publish_campaign(ctx, campaign["id"])
    ctx.clock.move_to(f.local(2026, 3, 12, 10))
    registry = default_registry()
    stopping = threading.Event()
    stopping.set()

    stopped = None
    while stopped is None and (job := claim_next(ctx, "stopping-worker")) is not None:
        report = run_claimed(ctx, job, registry, stop=stopping)
        stopped = report["status"] if job.kind == jobkeys.ONE_TIME_GRANT else None
    rest = run_due(ctx)

    assert stopped == "released"
    assert (jobkeys.ONE_TIME_GRANT, "done") in [(r["kind"], r["status"]) for r in rest]
    with ctx.db.read() as conn:
        packages = dict(conn.execute(
            select(campaign_packages.c.member_id, func.count()).group_by(campaign_packages.c.member_id)).all())
        grant = conn.execute(select(jobs).where(jobs.c.kind == jobkeys.ONE_TIME_GRANT)).one()
    assert packages == {m: 1 for m in members}
    assert (grant.status, grant.attempts) == ("done", 1)
