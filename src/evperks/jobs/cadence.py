"""When periodic tasks run: pure functions from an instant to the next run strictly after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from evperks.domain.timecal import local_midnight_after

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def next_interval_boundary(after: datetime, *, minutes: int) -> datetime:
    """The next multiple of ``minutes`` counted from the Unix epoch, so 60 means every hour at :00 UTC."""
    step = timedelta(minutes=minutes)
    elapsed_steps = (after - _EPOCH) // step
    return _EPOCH + (elapsed_steps + 1) * step


def next_local_midnight(after: datetime, zone: ZoneInfo) -> datetime:
    return local_midnight_after(after, zone, 1)


def next_boundary_or_local_midnight(after: datetime, *, interval_minutes: int, zone: ZoneInfo) -> datetime:
    """The next interval boundary or local 00:00, whichever comes first (voucher expiry: day-counted
    vouchers lapse at local midnight; campaign countdowns: a countdown day begins then)."""
    return min(next_interval_boundary(after, minutes=interval_minutes), next_local_midnight(after, zone))
