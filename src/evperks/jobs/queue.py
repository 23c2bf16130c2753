"""The jobs table as a queue: claim a run that is due, record how it ended (runs are scheduled with
``evperks.db.schedule.enqueue``).

A run is identified by ``(task_key, run_at)`` and that pair never changes after insert, so enqueueing
the same run again - from any node, at any time, also while it waits for a retry - is a no-op.
Two clocks are at work:

- ``not_before`` (a pending run's retry backoff) is on the schedule clock (``ctx.clock``), so a sandbox
  standing still at an instant does not retry a failing job in a loop.
- ``locked_until`` (a running job's lease) is on the real clock: it measures whether a worker process
  is still alive, and moving the sandbox clock a day forward must not hand a live worker's job to a
  second worker. Leases are short (``job_lease_seconds``) and renewed by a heartbeat while the job
  runs (``evperks.jobs.lease``), so a killed worker's job is taken over by the next claim - any
  worker's or the sandbox tick's - soon after it dies. Every function here takes ``real_now`` so that
  tests can move the real clock too.

Every claim increments ``attempts``; ``(locked_by, attempts)`` is the claim's token, and a finish only
applies while the row still carries it, so a worker whose lease was taken over cannot overwrite the
outcome of the run that replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, update

from evperks.db.tables import jobs
from evperks.services.context import Context

MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 3600
_WORKER_ID_LENGTH = jobs.c.locked_by.type.length


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    task_key: str
    run_at: datetime
    payload: dict[str, Any]
    attempts: int
    worker_id: str


def utc_now() -> datetime:
    """The real clock that leases run on."""
    return datetime.now(UTC)


def claim_next(ctx: Context, worker_id: str, *, real_now: datetime | None = None) -> ClaimedJob | None:
    """Take the earliest due job (or one whose worker's lease ran out) and lease it to ``worker_id``."""
    worker_id = worker_id[:_WORKER_ID_LENGTH]
    now = ctx.clock.now()
    real_now = real_now or utc_now()
    with ctx.db.write() as conn:
        # SQLite ignores FOR UPDATE; its write transaction is BEGIN IMMEDIATE, which already
        # serialises this select-then-update against every other writer.
        job_id = conn.execute(
            select(jobs.c.id)
            .where(_claimable(now, real_now))
            .order_by(jobs.c.run_at, jobs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if job_id is None:
            return None
        row = conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(
                status="running",
                locked_by=worker_id,
                locked_until=_lease_end(ctx, real_now),
                started_at=now,
                attempts=jobs.c.attempts + 1,
            )
            .returning(jobs.c.id, jobs.c.kind, jobs.c.task_key, jobs.c.run_at, jobs.c.payload, jobs.c.attempts)
        ).one()
    return ClaimedJob(
        id=row.id,
        kind=row.kind,
        task_key=row.task_key,
        run_at=row.run_at,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        worker_id=worker_id,
    )


def _lease_end(ctx: Context, real_now: datetime) -> datetime:
    return real_now + timedelta(seconds=ctx.settings.job_lease_seconds)


def renew_lease(ctx: Context, job: ClaimedJob, *, real_now: datetime | None = None) -> bool:
    """Extend the lease by ``job_lease_seconds`` from now; False when the claim was lost (the lease ran
    out and another worker took the run over, or the run was released), which a heartbeat cannot undo."""
    with ctx.db.write() as conn:
        renewed = update(jobs).where(_still_held(job)).values(locked_until=_lease_end(ctx, real_now or utc_now()))
        return conn.execute(renewed).rowcount == 1


def release(ctx: Context, job: ClaimedJob) -> bool:
    """Give an unfinished run back (a graceful shutdown): pending again at once, and the claim does not
    count as an attempt. False when the claim was already lost. (The next claim restores the same
    ``attempts``; the token stays unique because a stopping scheduler's identity never claims again.)"""
    with ctx.db.write() as conn:
        released = update(jobs).where(_still_held(job)).values(
            status="pending", locked_by=None, locked_until=None, attempts=jobs.c.attempts - 1
        )
        return conn.execute(released).rowcount == 1


def _claimable(now: datetime, real_now: datetime) -> ColumnElement[bool]:
    due = and_(
        jobs.c.status == "pending",
        jobs.c.run_at <= now,
        or_(jobs.c.not_before.is_(None), jobs.c.not_before <= now),
    )
    abandoned = and_(jobs.c.status == "running", jobs.c.locked_until <= real_now)
    return or_(due, abandoned)


def _still_held(job: ClaimedJob) -> ColumnElement[bool]:
    return and_(
        jobs.c.id == job.id,
        jobs.c.status == "running",
        jobs.c.locked_by == job.worker_id,
        jobs.c.attempts == job.attempts,
    )


def mark_done(conn: Connection, job: ClaimedJob, *, result: dict[str, Any] | None, now: datetime) -> bool:
    """Record success; False when the claim was lost (another worker now owns the run)."""
    done = update(jobs).where(_still_held(job)).values(status="done", result=result, finished_at=now, locked_until=None)
    return conn.execute(done).rowcount == 1


def mark_failed_attempt(conn: Connection, job: ClaimedJob, *, error: str, now: datetime) -> str | None:
    """Put the job back with a backoff, or give up after MAX_ATTEMPTS; returns the new status,
    or None when the claim was lost."""
    if job.attempts >= MAX_ATTEMPTS:
        values: dict[str, Any] = {"status": "failed", "finished_at": now, "locked_until": None}
    else:
        values = {"status": "pending", "locked_by": None, "locked_until": None, "not_before": now + retry_delay(job.attempts)}
    changed = conn.execute(update(jobs).where(_still_held(job)).values(last_error=error, **values)).rowcount
    return values["status"] if changed == 1 else None


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_SECONDS))
