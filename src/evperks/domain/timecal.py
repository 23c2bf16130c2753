"""Instants and the operator's calendar.

Instants are timezone-aware UTC datetimes everywhere inside evperks; the operator's zone is used only
to find local days ("00:00", "day N") and to read times that arrive without an offset.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EARLIEST, LATEST = datetime(1970, 1, 2), datetime(2199, 12, 31)


def supported(value: datetime) -> bool:
    """Whether a time lies between 1970-01-02 and 2199-12-31 (a naive one read as it stands): no charging
    event lies outside, and far-off years overflow when moved between zones."""
    try:
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    except OverflowError:  # year 1 at +14:00 lies before the first representable UTC instant
        return False
    return EARLIEST <= naive <= LATEST


def as_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """An instant in UTC; a naive value is read as wall time in the operator's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def start_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of a local calendar day, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_midnight_after(instant: datetime, zone: ZoneInfo, days: int) -> datetime:
    """00:00 of the local day ``days`` after the local day of ``instant``."""
    return start_of_local_day(local_date(instant, zone) + timedelta(days=days), zone)
