"""The job queue and scheduler: scheduled runs fire once, failures back off, leases expire, periodic
tasks keep exactly one next slot, and racing workers never run a job twice."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, update

from evperks.config import Settings
from evperks.db.schedule import enqueue
from evperks.db.tables import jobs
from evperks.jobs.cadence import next_interval_boundary
from evperks.jobs.queue import MAX_ATTEMPTS, claim_next
from evperks.jobs.registry import PeriodicTask, Registry
from evperks.jobs.runner import run_claimed
from evperks.jobs.scheduler import run_due, start_in_thread, worker_identity
from evperks.services.context import Context

T0 = datetime(2099, 3, 1, 10, 0, tzinfo=UTC)


class Recorder:
    """Test-only job kinds that remember every call they receive."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def registry(self) -> Registry:
        registry = Registry()
        registry.add_kind("record", self._record)
        registry.add_kind("boom", self._boom)
        registry.add_kind("flaky", self._flaky)
        registry.add_kind("chain", self._chain)
        return registry

    def count(self, kind: str) -> int:
        return sum(1 for called, _ in self.calls if called == kind)

    def _record(self, ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("record", payload))
        return {"call": len(self.calls)}

    def _boom(self, ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("boom", payload))
        raise RuntimeError("the handler broke")

    def _flaky(self, ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("flaky", payload))
        if self.count("flaky") == 1:
            raise RuntimeError("first try fails")
        return {"ok": True}

    def _chain(self, ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("chain", payload))
        with ctx.db.write() as conn:
            enqueue(conn, kind="record", task_key="chained", run_at=ctx.clock.now(), payload={"from": "chain"})
        return {}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def registry(recorder: Recorder) -> Registry:
    return recorder.registry()


def enqueue_job(ctx: Context, *, kind: str, task_key: str, run_at: datetime, payload: dict | None = None) -> bool:
    with ctx.db.write() as conn:
        return enqueue(conn, kind=kind, task_key=task_key, run_at=run_at, payload=payload)


def job_rows(ctx: Context) -> list[Any]:
    with ctx.db.read() as conn:
        return conn.execute(select(jobs).order_by(jobs.c.run_at, jobs.c.id)).all()


def only_job(ctx: Context) -> Any:
    (row,) = job_rows(ctx)
    return row


def test_enqueueing_the_same_run_twice_stores_one_row(ctx: Context) -> None:
    assert enqueue_job(ctx, kind="record", task_key="campaign:7:start", run_at=T0, payload={"campaign_id": 7})
    assert not enqueue_job(ctx, kind="record", task_key="campaign:7:start", run_at=T0, payload={"campaign_id": 7})

    row = only_job(ctx)
    assert (row.task_key, row.run_at, row.status) == ("campaign:7:start", T0, "pending")
    assert row.payload == {"campaign_id": 7}


def test_the_same_task_at_another_instant_is_another_run(ctx: Context) -> None:
    assert enqueue_job(ctx, kind="record", task_key="reminder", run_at=T0)
    assert enqueue_job(ctx, kind="record", task_key="reminder", run_at=T0 + timedelta(hours=1))

    assert len(job_rows(ctx)) == 2


def test_run_due_runs_a_due_job_once_and_leaves_a_future_one_pending(
    ctx: Context, registry: Registry, recorder: Recorder
) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="record", task_key="due", run_at=T0 - timedelta(minutes=1), payload={"n": 1})
    enqueue_job(ctx, kind="record", task_key="future", run_at=T0 + timedelta(seconds=1))

    ran = run_due(ctx, registry=registry)
    again = run_due(ctx, registry=registry)

    assert [(r["task_key"], r["status"], r["result"]) for r in ran] == [("due", "done", {"call": 1})]
    assert ran[0]["run_at"] == (T0 - timedelta(minutes=1)).isoformat()
    assert again == []
    assert recorder.calls == [("record", {"n": 1})]
    due, future = job_rows(ctx)
    assert (due.status, due.attempts, due.result, due.finished_at) == ("done", 1, {"call": 1}, T0)
    assert (future.status, future.attempts) == ("pending", 0)


def test_run_due_runs_jobs_in_run_at_order_including_ones_enqueued_by_a_job_that_just_ran(
    ctx: Context, registry: Registry
) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="record", task_key="later", run_at=T0 - timedelta(minutes=2))
    enqueue_job(ctx, kind="chain", task_key="earlier", run_at=T0 - timedelta(minutes=5))

    ran = run_due(ctx, registry=registry)

    assert [r["task_key"] for r in ran] == ["earlier", "later", "chained"]
    assert {row.status for row in job_rows(ctx)} == {"done"}


def test_a_failing_job_is_retried_with_growing_backoff_and_then_marked_failed(
    ctx: Context, registry: Registry, recorder: Recorder
) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="boom", task_key="boom", run_at=T0)
    waits = []

    for attempt in range(1, MAX_ATTEMPTS + 1):
        (ran,) = run_due(ctx, registry=registry)
        assert ran["status"] == ("failed" if attempt == MAX_ATTEMPTS else "pending")
        assert "RuntimeError: the handler broke" in ran["error"]
        row = only_job(ctx)
        if row.status == "pending":
            assert run_due(ctx, registry=registry) == [], "retried before its backoff had passed"
            waits.append(row.not_before - ctx.clock.now())
            ctx.clock.move_to(row.not_before)

    assert waits == [timedelta(seconds=2**attempt) for attempt in range(1, MAX_ATTEMPTS)]
    row = only_job(ctx)
    assert (row.status, row.attempts, row.run_at) == ("failed", MAX_ATTEMPTS, T0)
    assert "RuntimeError: the handler broke" in row.last_error
    ctx.clock.move_to(T0 + timedelta(days=1))
    assert run_due(ctx, registry=registry) == []
    assert recorder.count("boom") == MAX_ATTEMPTS


def test_a_job_that_fails_once_succeeds_on_its_retry(ctx: Context, registry: Registry) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="flaky", task_key="flaky", run_at=T0)

    first = run_due(ctx, registry=registry)
    ctx.clock.move_to(T0 + timedelta(seconds=2))
    second = run_due(ctx, registry=registry)

    assert [r["status"] for r in first + second] == ["pending", "done"]
    row = only_job(ctx)
    assert (row.status, row.attempts, row.result) == ("done", 2, {"ok": True})


def test_a_job_of_an_unknown_kind_waits_for_a_retry_instead_of_being_dropped(ctx: Context, registry: Registry) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="from_a_newer_release", task_key="x", run_at=T0)

    (ran,) = run_due(ctx, registry=registry)

    assert ran["status"] == "pending"
    assert "UnknownJobKind" in only_job(ctx).last_error


def expire_lease(ctx: Context, job_id: int) -> None:
    """What the passing of job_lease_seconds looks like to the table (leases run on the real clock)."""
    with ctx.db.write() as conn:
        lease_over = datetime.now(UTC) - timedelta(seconds=1)
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(locked_until=lease_over))


def test_a_running_job_is_not_claimed_by_another_worker_while_its_lease_holds(ctx: Context) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="record", task_key="leased", run_at=T0)

    first = claim_next(ctx, "worker-a")
    ctx.clock.move_to(T0 + timedelta(days=1))  # the sandbox clock jumping does not end a live lease

    assert first is not None
    assert claim_next(ctx, "worker-b") is None
    row = only_job(ctx)
    assert (row.status, row.locked_by, row.attempts) == ("running", "worker-a", 1)


def test_a_job_whose_lease_ran_out_is_claimed_again_and_the_late_first_worker_cannot_record_its_outcome(
    ctx: Context, registry: Registry, recorder: Recorder
) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="record", task_key="leased", run_at=T0)
    stalled = claim_next(ctx, "worker-a")
    assert stalled is not None
    expire_lease(ctx, stalled.id)

    rescued = claim_next(ctx, "worker-b")
    assert rescued is not None
    assert (rescued.id, rescued.attempts) == (stalled.id, 2)
    assert run_claimed(ctx, stalled, registry)["status"] == "lost"
    assert (only_job(ctx).status, only_job(ctx).locked_by) == ("running", "worker-b")
    assert run_claimed(ctx, rescued, registry)["status"] == "done"

    row = only_job(ctx)
    assert (row.status, row.locked_by, row.attempts, row.result) == ("done", "worker-b", 2, {"call": 2})
    assert claim_next(ctx, "worker-c") is None


def test_a_job_whose_worker_keeps_dying_is_given_up_after_the_maximum_attempts(
    ctx: Context, registry: Registry
) -> None:
    ctx.clock.move_to(T0)
    enqueue_job(ctx, kind="record", task_key="crashes-its-worker", run_at=T0)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        claimed = claim_next(ctx, f"worker-{attempt}")
        assert claimed is not None
        expire_lease(ctx, claimed.id)

    last = claim_next(ctx, "worker-last")
    assert last is not None
    report = run_claimed(ctx, last, registry)

    assert report["status"] == "failed"
    row = only_job(ctx)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS + 1)
    assert "GaveUp" in row.last_error


def every_ten_minutes(*, first_run_immediately: bool = False) -> PeriodicTask:
    return PeriodicTask(
        task_key="every_ten",
        kind="record",
        next_run_after=lambda ctx, after: next_interval_boundary(after, minutes=10),
        first_run_immediately=first_run_immediately,
    )


def periodic_rows(ctx: Context) -> list[tuple[datetime, str]]:
    return [(row.run_at, row.status) for row in job_rows(ctx) if row.task_key == "every_ten"]


def test_a_periodic_task_waits_for_its_first_slot_and_schedules_the_next_one_after_running(
    ctx: Context, registry: Registry
) -> None:
    registry.add_periodic(every_ten_minutes())
    ctx.clock.move_to(T0 + timedelta(minutes=3))

    assert run_due(ctx, registry=registry) == []
    assert run_due(ctx, registry=registry) == []
    assert periodic_rows(ctx) == [(T0 + timedelta(minutes=10), "pending")]

    ctx.clock.move_to(T0 + timedelta(minutes=10))
    ran = run_due(ctx, registry=registry)

    assert [(r["task_key"], r["run_at"], r["status"]) for r in ran] == [
        ("every_ten", (T0 + timedelta(minutes=10)).isoformat(), "done")
    ]
    assert periodic_rows(ctx) == [(T0 + timedelta(minutes=10), "done"), (T0 + timedelta(minutes=20), "pending")]


def test_a_periodic_task_catches_up_once_after_a_long_gap(ctx: Context, registry: Registry, recorder: Recorder) -> None:
    registry.add_periodic(every_ten_minutes())
    ctx.clock.move_to(T0 + timedelta(minutes=3))
    run_due(ctx, registry=registry)

    ctx.clock.move_to(T0 + timedelta(hours=3, minutes=47))
    ran = run_due(ctx, registry=registry)

    assert [r["run_at"] for r in ran] == [(T0 + timedelta(minutes=10)).isoformat()]
    assert recorder.count("record") == 1
    assert periodic_rows(ctx) == [
        (T0 + timedelta(minutes=10), "done"),
        (T0 + timedelta(hours=3, minutes=50), "pending"),
    ]


def test_a_sweep_that_was_never_scheduled_runs_at_once_then_keeps_to_its_slots(
    ctx: Context, registry: Registry
) -> None:
    registry.add_periodic(every_ten_minutes(first_run_immediately=True))
    ctx.clock.move_to(T0 + timedelta(minutes=3))

    ran = run_due(ctx, registry=registry)

    assert [r["run_at"] for r in ran] == [(T0 + timedelta(minutes=3)).isoformat()]
    assert periodic_rows(ctx) == [(T0 + timedelta(minutes=3), "done"), (T0 + timedelta(minutes=10), "pending")]


def test_a_periodic_task_keeps_its_schedule_after_a_run_fails_for_good(ctx: Context) -> None:
    registry = Registry()
    registry.add_kind("boom", lambda ctx, payload: 1 / 0)
    registry.add_periodic(
        PeriodicTask(
            "hourly_boom",
            "boom",
            lambda ctx, after: next_interval_boundary(after, minutes=60),
            first_run_immediately=True,
        )
    )
    ctx.clock.move_to(T0)
    for _ in range(MAX_ATTEMPTS):
        run_due(ctx, registry=registry)
        first = job_rows(ctx)[0]
        if first.status == "pending":
            ctx.clock.move_to(first.not_before)

    assert [(row.run_at, row.status) for row in job_rows(ctx)] == [(T0, "failed"), (T0 + timedelta(hours=1), "pending")]


def test_the_scheduler_thread_runs_a_due_job_and_stops_when_asked(ctx: Context, registry: Registry) -> None:
    polling_fast = Context(
        db=ctx.db, clock=ctx.clock, settings=ctx.settings.model_copy(update={"scheduler_interval_seconds": 0.02})
    )
    scheduler = start_in_thread(polling_fast, registry=registry)
    try:
        enqueue_job(ctx, kind="record", task_key="background", run_at=ctx.clock.now())
        deadline = time.monotonic() + 5
        while only_job(ctx).status != "done" and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop(timeout=5)

    assert not scheduler.thread.is_alive()
    row = only_job(ctx)
    assert row.status == "done"
    assert row.locked_by.endswith(":evperks-scheduler")


# --- racing workers -------------------------------------------------------------------------------

RACE_JOBS = 50
RACE_WORKERS = 4
_effects_metadata = MetaData()
# Deliberately without a unique key: a job run twice shows up as two rows instead of an error.
job_effects = Table(
    "test_job_effects",
    _effects_metadata,
    Column("n", Integer, nullable=False),
    Column("worker", String(200), nullable=False),
)


def _write_effect(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.write() as conn:
        conn.execute(insert(job_effects).values(n=payload["n"], worker=worker_identity()))
    time.sleep(0.005)  # long enough for the workers to overlap
    return {"n": payload["n"]}


def _race_for_due_jobs(database_url: str, start_together: Any) -> None:
    """One racing worker, as a separate process or thread: its own Context, the test kind registered."""
    registry = Registry()
    registry.add_kind("effect", _write_effect)
    ctx = Context.from_settings(Settings(database_url=database_url, sandbox=True, scheduler=False))
    try:
        start_together.wait(timeout=60)
        run_due(ctx, worker_id=worker_identity(), registry=registry)
    finally:
        ctx.db.dispose()


@pytest.fixture
def effects_table(ctx: Context) -> Iterator[Table]:
    _effects_metadata.drop_all(ctx.db.engine)
    _effects_metadata.create_all(ctx.db.engine)
    yield job_effects
    _effects_metadata.drop_all(ctx.db.engine)


def test_racing_workers_run_each_of_fifty_due_jobs_exactly_once(
    ctx: Context, settings: Settings, effects_table: Table
) -> None:
    ctx.clock.move_to(T0)
    with ctx.db.write() as conn:
        for n in range(RACE_JOBS):
            enqueue(conn, kind="effect", task_key=f"race:{n}", run_at=T0 - timedelta(seconds=n), payload={"n": n})

    if ctx.db.is_sqlite:
        start_together: Any = threading.Barrier(RACE_WORKERS)
        workers: list[Any] = [
            threading.Thread(target=_race_for_due_jobs, args=(settings.database_url, start_together), name=f"racer-{i}")
            for i in range(RACE_WORKERS)
        ]
    else:
        spawn = multiprocessing.get_context("spawn")
        start_together = spawn.Barrier(RACE_WORKERS)
        workers = [
            spawn.Process(target=_race_for_due_jobs, args=(settings.database_url, start_together))
            for _ in range(RACE_WORKERS)
        ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    if not ctx.db.is_sqlite:
        assert [worker.exitcode for worker in workers] == [0] * RACE_WORKERS

    with ctx.db.read() as conn:
        effects = conn.execute(select(job_effects.c.n, func.count()).group_by(job_effects.c.n)).all()
        workers_used = conn.execute(select(func.count(job_effects.c.worker.distinct()))).scalar_one()
    rows = job_rows(ctx)
    assert sorted(effects) == [(n, 1) for n in range(RACE_JOBS)]
    assert {(row.status, row.attempts) for row in rows} == {("done", 1)}
    assert workers_used > 1, "only one worker got to run jobs, so nothing raced"
