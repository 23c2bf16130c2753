"""Running due jobs: once and synchronously (the sandbox tick), or in a polling loop (serve, worker)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from evperks.jobs.kinds import default_registry
from evperks.jobs.periodic import ensure_periodic
from evperks.jobs.queue import claim_next
from evperks.jobs.registry import Registry
from evperks.jobs.runner import run_claimed
from evperks.services.context import Context

logger = logging.getLogger("evperks.jobs")


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def run_due(ctx: Context, *, worker_id: str = "tick", registry: Registry | None = None) -> list[dict[str, Any]]:
    """Run every job due at ``ctx.clock.now()``, in run_at order, also those that jobs enqueue while
    this runs if they are due; returns what ran.

    Ends because a periodic run's next slot lies strictly after now and a failed run waits a backoff.
    """
    registry = default_registry() if registry is None else registry
    ensure_periodic(ctx, registry)
    ran = []
    while (job := claim_next(ctx, worker_id)) is not None:
        ran.append(run_claimed(ctx, job, registry))
    return ran


class Scheduler:
    """Polls for due jobs every ``settings.scheduler_interval_seconds`` until stopped."""

    def __init__(self, ctx: Context, *, registry: Registry | None = None) -> None:
        self.ctx = ctx
        self.registry = default_registry() if registry is None else registry

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
            run_claimed(self.ctx, job, self.registry)


def start_in_thread(
    ctx: Context, *, registry: Registry | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Run a Scheduler in a daemon thread; set the event and join the thread to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=Scheduler(ctx, registry=registry).run_forever, args=(stop,), name="evperks-scheduler", daemon=True
    )
    thread.start()
    return thread, stop
