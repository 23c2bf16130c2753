"""What every service function receives: the database, the clock and the settings (and this process's
cache of the signing keys read from that database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from evperks.clock import Clock, RealClock, SandboxClock
from evperks.config import Settings
from evperks.db.database import Database
from evperks.services.signing_keys import KeyCache


@dataclass(frozen=True)
class Context:
    db: Database
    clock: Clock
    settings: Settings
    keys: KeyCache = field(default_factory=KeyCache, compare=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        db = Database(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        clock: Clock = SandboxClock(db) if settings.sandbox else RealClock()
        return cls(db=db, clock=clock, settings=settings)
