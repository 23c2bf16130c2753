"""Keeping a running job's lease: a heartbeat thread renews it, and long jobs check it between batches.

A lease lasts ``job_lease_seconds`` (short, 30 s by default) from its last renewal; the heartbeat renews
it every third of that, guarded by the claim's token, so a worker whose lease was taken over can
never renew it again. A job that works in batches calls ``checkpoint()`` between them: it stops
there when the worker is shutting down (the run is released, pending again at once) or when the
claim was lost (the worker that took it over carries on from the last committed batch).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime

from evperks.jobs.queue import ClaimedJob, renew_lease, utc_now
from evperks.services.context import Context

logger = logging.getLogger("evperks.jobs")
_current: ContextVar[Lease | None] = ContextVar("evperks_job_lease", default=None)


class LeaseLost(Exception):
    """Another worker took the run over: this one must stop and record nothing."""


class ShutdownRequested(Exception):
    """The worker is stopping: the run is given back instead of finished."""


class Lease:
    """The lease of ``job`` while its handler runs; use as a context manager around the handler."""

    def __init__(
        self,
        ctx: Context,
        job: ClaimedJob,
        *,
        stop: threading.Event | None = None,
        real_clock: Callable[[], datetime] = utc_now,
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.job = job
        self.lost = False
        self._stop = stop
        self._real_clock = real_clock
        self._interval = heartbeat_seconds or ctx.settings.job_lease_seconds / 3
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"evperks-lease-{job.id}", daemon=True)

    def renew(self) -> bool:
        if not self.lost and not renew_lease(self.ctx, self.job, real_now=self._real_clock()):
            logger.warning("job %s: lease of %s was taken over", self.job.id, self.job.worker_id)
            self.lost = True
        return not self.lost

    def checkpoint(self) -> None:
        """Between two batches: raise ShutdownRequested or LeaseLost, else renew the lease."""
        if self._stop is not None and self._stop.is_set():
            raise ShutdownRequested(f"job {self.job.id} stopped for a shutdown")
        if not self.renew():
            raise LeaseLost(f"job {self.job.id}: the lease of {self.job.worker_id} was taken over")

    def _beat(self) -> None:
        while not self._done.wait(self._interval) and not self.lost:
            try:
                self.renew()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable: try again
                logger.exception("job %s: renewing the lease failed", self.job.id)

    def __enter__(self) -> Lease:
        self._token = _current.set(self)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()
        _current.reset(self._token)


def checkpoint() -> None:
    """``Lease.checkpoint`` of the job running in this thread; nothing outside a job."""
    lease = _current.get()
    if lease is not None:
        lease.checkpoint()
