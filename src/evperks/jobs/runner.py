"""Running one claimed job: call its handler, then record the outcome under the claim's guard."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

from evperks.jobs.lease import Lease, LeaseLost, ShutdownRequested
from evperks.jobs.periodic import schedule_next_run
from evperks.jobs.queue import MAX_ATTEMPTS, ClaimedJob, mark_done, mark_failed_attempt, release, utc_now
from evperks.jobs.registry import Registry
from evperks.services.context import Context

logger = logging.getLogger("evperks.jobs")
_ERROR_TEXT_LIMIT = 4000
LOST = "lost"  # the claim was taken over (lease expired); the other worker's outcome stands
RELEASED = "released"  # given back unfinished for a shutdown: pending again, the attempt not counted


class GaveUp(Exception):
    """Claimed more than MAX_ATTEMPTS times: the worker died every time before it could finish."""


def run_claimed(
    ctx: Context,
    job: ClaimedJob,
    registry: Registry,
    *,
    stop: threading.Event | None = None,
    real_clock: Callable[[], datetime] = utc_now,
    heartbeat_seconds: float | None = None,
) -> dict[str, Any]:
    """Run ``job`` (its handler opens its own transactions) under a renewed lease and report it as
    run_due lists it. Once ``stop`` is set, a job that calls ``lease.checkpoint()`` is released."""
    try:
        if job.attempts > MAX_ATTEMPTS:
            raise GaveUp(f"claimed {job.attempts} times without finishing")
        with Lease(ctx, job, stop=stop, real_clock=real_clock, heartbeat_seconds=heartbeat_seconds):
            result = registry.handler(job.kind)(ctx, job.payload)
        json.dumps(result)  # fail here, as the handler's failure, rather than when storing the row
    except ShutdownRequested:
        status = RELEASED if release(ctx, job) else LOST
        logger.info("job %s (%s %s) %s for a shutdown", job.id, job.kind, job.task_key, status)
        return _report(job, status, None, None)
    except LeaseLost:
        return _report(job, LOST, None, None)
    except Exception as exc:  # noqa: BLE001 - any failure of a handler is recorded on its job
        logger.warning("job %s (%s %s) attempt %s failed", job.id, job.kind, job.task_key, job.attempts, exc_info=True)
        return _report(job, _record_failure(ctx, job, registry, exc), None, _short(exc))
    status = _record_success(ctx, job, registry, result)
    logger.info("job %s (%s %s) %s: %s", job.id, job.kind, job.task_key, status, result)
    return _report(job, status, result, None)


def _record_success(ctx: Context, job: ClaimedJob, registry: Registry, result: dict[str, Any] | None) -> str:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        if not mark_done(conn, job, result=result, now=now):
            logger.warning("job %s finished by %s after its lease was taken over", job.id, job.worker_id)
            return LOST
        schedule_next_run(conn, ctx, registry, job, now)
    return "done"


def _record_failure(ctx: Context, job: ClaimedJob, registry: Registry, exc: Exception) -> str:
    now = ctx.clock.now()
    error = "".join(traceback.format_exception(exc))[-_ERROR_TEXT_LIMIT:]
    with ctx.db.write() as conn:
        status = mark_failed_attempt(conn, job, error=error, now=now)
        if status == "failed":
            logger.error("job %s (%s %s) failed after %s attempts", job.id, job.kind, job.task_key, job.attempts)
            # A periodic task keeps its schedule even when one run is given up.
            schedule_next_run(conn, ctx, registry, job, now)
    return status or LOST


def _short(exc: Exception) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()


def _report(job: ClaimedJob, status: str, result: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "task_key": job.task_key,
        "run_at": job.run_at.isoformat(),
        "status": status,
        "result": result,
        "error": error,
    }
