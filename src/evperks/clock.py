"""The one source of "now".

Production runs on the real clock. A sandbox (``EVPERKS_SANDBOX=1``) runs on a clock that follows real
time until it is first moved, then stands still at the instant it was set until it is moved again, like
a payment provider's test clock. The sandbox instant lives in the database, so every process and every
restart sees the same time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import insert, select, update

from evperks.db.database import Database
from evperks.db.tables import sandbox_clock


class Clock(Protocol):
    def now(self) -> datetime: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ClockMovedBackwards(Exception):
    def __init__(self, current: datetime) -> None:
        super().__init__(f"the sandbox clock is at {current.isoformat()} and never moves back")
        self.current = current


class SandboxClock:
    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> datetime:
        with self._db.read() as conn:
            frozen = conn.execute(select(sandbox_clock.c.now)).scalar_one_or_none()
        return frozen if frozen is not None else datetime.now(UTC)

    def move_to(self, instant: datetime) -> datetime:
        """Stand the clock still at ``instant``. The first move may go anywhere (a fresh sandbox can start
        in the past to replay a worked example); once set, moving it back is refused."""
        real_now = datetime.now(UTC)
        with self._db.write() as conn:
            current = conn.execute(select(sandbox_clock.c.now)).scalar_one_or_none()
            if current is not None and instant < current:
                raise ClockMovedBackwards(current)
            if current is None:
                conn.execute(insert(sandbox_clock).values(id=1, now=instant, set_at=real_now))
            else:
                conn.execute(update(sandbox_clock).values(now=instant, set_at=real_now))
        return instant
