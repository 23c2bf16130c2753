"""Keeping each periodic task scheduled: exactly one open run per task, the next slot after each run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, func, select

from evperks.db.schedule import enqueue
from evperks.db.tables import jobs
from evperks.jobs.queue import ClaimedJob
from evperks.jobs.registry import PeriodicTask, Registry
from evperks.services.context import Context


def ensure_periodic(ctx: Context, registry: Registry) -> list[str]:
    """Schedule every periodic task that has no pending or running run; returns their task keys."""
    scheduled = []
    for task in registry.periodic_tasks():
        with ctx.db.read() as conn:
            if _has_open_run(conn, task.task_key):
                continue
        if _schedule_first_run(ctx, task):
            scheduled.append(task.task_key)
    return scheduled


def _schedule_first_run(ctx: Context, task: PeriodicTask) -> bool:
    now = ctx.clock.now()
    run_at = now if task.first_run_immediately else task.next_run_after(ctx, now)
    with ctx.db.write() as conn:
        if conn.dialect.name == "postgresql":
            # Two nodes starting together would each see no open run and insert different run_at
            # values (each its own "now"); the lock makes the second one see the first one's row.
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"evperks.jobs:{task.task_key}"))))
        if _has_open_run(conn, task.task_key):
            return False
        return enqueue(conn, kind=task.kind, task_key=task.task_key, run_at=run_at, payload=task.payload)


def _has_open_run(conn: Connection, task_key: str) -> bool:
    open_run = exists().where(jobs.c.task_key == task_key, jobs.c.status.in_(("pending", "running")))
    return bool(conn.execute(select(open_run)).scalar())


def schedule_next_run(conn: Connection, ctx: Context, registry: Registry, job: ClaimedJob, now: datetime) -> None:
    """After a periodic run ends, schedule the first slot after *now*: a run that was late (the node
    was down) has just caught up once, and the slots missed meanwhile are not replayed."""
    task = registry.periodic_task(job.task_key, job.kind)
    if task is not None:
        next_run = task.next_run_after(ctx, now)
        enqueue(conn, kind=task.kind, task_key=task.task_key, run_at=next_run, payload=task.payload)
