"""Running due jobs: once and synchronously (the sandbox tick), or in a polling loop (serve, worker)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evperks.jobs.kinds import default_registry
from evperks.jobs.periodic import ensure_periodic
from evperks.jobs.queue import ClaimedJob, claim_next, release, utc_now
from evperks.jobs.registry import Registry
from evperks.jobs.runner import run_claimed
from evperks.services.context import Context

logger = logging.getLogger("evperks.jobs")


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def run_due(
    ctx: Context,
    *,
    worker_id: str = "tick",
    registry: Registry | None = None,
    real_clock: Callable[[], datetime] = utc_now,
) -> list[dict[str, Any]]:
    """Run every job due at ``ctx.clock.now()``, in run_at order, also those that jobs enqueue while
    this runs if they are due, and every run whose worker's lease has run out; returns what ran.

    Ends because a periodic run's next slot lies strictly after now and a failed run waits a backoff.
    """
    registry = default_registry() if registry is None else registry
    ensure_periodic(ctx, registry)
    ran = []
    while (job := claim_next(ctx, worker_id, real_now=real_clock())) is not None:
        ran.append(run_claimed(ctx, job, registry, real_clock=real_clock))
    return ran


class Scheduler:
    """Polls for due jobs every ``settings.scheduler_interval_seconds`` until stopped."""

    def __init__(self, ctx: Context, *, registry: Registry | None = None) -> None:
        self.ctx = ctx
        self.registry = default_registry() if registry is None else registry
        self.running: ClaimedJob | None = None

    def run_forever(self, stop: threading.Event) -> None:
        worker_id = worker_identity()
        logger.info("scheduler %s started", worker_id)
        while not stop.is_set():
            try:
                ensure_periodic(self.ctx, self.registry)
                self._run_until_idle(worker_id, stop)
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable: try again later
                logger.exception("scheduler %s: polling failed", worker_id)
            stop.wait(self.ctx.settings.scheduler_interval_seconds)
        logger.info("scheduler %s stopped", worker_id)

    def _run_until_idle(self, worker_id: str, stop: threading.Event) -> None:
        while not stop.is_set() and (job := claim_next(self.ctx, worker_id)) is not None:
            self.running = job
            try:
                run_claimed(self.ctx, job, self.registry, stop=stop)
            finally:
                self.running = None


@dataclass
class SchedulerThread:
    thread: threading.Thread
    stop_event: threading.Event
    scheduler: Scheduler

    def stop(self, timeout: float = 10) -> None:
        """Ask the loop to stop and wait for it: a batch job gives its run back at its next batch,
        another job finishes. A job still running after ``timeout`` is released from here, so another
        node can take it at once; the thread's late outcome is then refused (the claim was lost)."""
        self.stop_event.set()
        self.thread.join(timeout)
        job = self.scheduler.running
        if self.thread.is_alive() and job is not None and release(self.scheduler.ctx, job):
            logger.warning("job %s (%s) released unfinished: the scheduler did not stop in time", job.id, job.kind)


def start_in_thread(ctx: Context, *, registry: Registry | None = None) -> SchedulerThread:
    """Run a Scheduler in a daemon thread; ``stop()`` it on shutdown."""
    stop = threading.Event()
    scheduler = Scheduler(ctx, registry=registry)
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,), name="evperks-scheduler", daemon=True)
    thread.start()
    return SchedulerThread(thread, stop, scheduler)
