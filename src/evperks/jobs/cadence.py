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


def next_voucher_expiry_run(after: datetime, *, interval_minutes: int, zone: ZoneInfo) -> datetime:
    """Every interval, and also at each local 00:00, when the day-counted vouchers lapse."""
    return min(next_interval_boundary(after, minutes=interval_minutes), next_local_midnight(after, zone))
