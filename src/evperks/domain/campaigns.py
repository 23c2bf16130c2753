"""Campaigns as values: their states and why one ended. Pure; no database.

A campaign moves draft → scheduled → active → ended (published straight to active when its start has
passed); a draft may also be deleted. Everything that names a state uses these enums, never a string.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


class EndedReason(StrEnum):
    EXPIRED = "expired"      # its end_at passed
    EXHAUSTED = "exhausted"  # its last package was given
    STOPPED = "stopped"      # an operator stopped it


class Metric(StrEnum):
    """What a consumption campaign accumulates: kWh (stored as Wh) or fen paid."""

    ENERGY = "energy"
    AMOUNT = "amount"


# --- tiers ---
# A tiered campaign keeps its tiers as stored (``[{threshold | min_amount_fen, reward}]``, in the order the
# operator wrote them); these rules read them. Amounts are whole units (Wh or fen), never floats.

from dataclasses import dataclass  # noqa: E402 - this section's own imports
from datetime import datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from evperks.domain.timecal import local_date  # noqa: E402


@dataclass(frozen=True)
class Tier:
    index: int  # the tier's position in the campaign's ``tiers`` (a tier package's ref)
    threshold: int
    reward: list


def sorted_tiers(tiers: list[dict], key: str = "threshold") -> list[Tier]:
    """The tiers by ascending ``key`` (``threshold`` or ``min_amount_fen``), each knowing its stored position."""
    return sorted((Tier(i, t[key], t["reward"]) for i, t in enumerate(tiers or [])), key=lambda t: t.threshold)


def reached_count(tiers: list[Tier], amount: int) -> int:
    """How many of the (sorted) tiers ``amount`` reaches."""
    return sum(1 for t in tiers if t.threshold <= amount)


def tier_for_amount(tiers: list[Tier], amount: int) -> Tier | None:
    """The highest (sorted) tier ``amount`` reaches; None below the lowest."""
    reached = reached_count(tiers, amount)
    return tiers[reached - 1] if reached else None


def tiers_crossed(tiers: list[Tier], reached_before: int, amount: int) -> list[Tier]:
    """The (sorted) tiers reached at ``amount`` beyond the first ``reached_before``: each one's package is due."""
    return tiers[reached_before:reached_count(tiers, amount)]


def days_left(end_at: datetime, now: datetime, zone: ZoneInfo) -> int:
    """The local calendar days, today included, on which the campaign still runs (0 once ended):
    a campaign ending at 2026-03-31 00:00 has 3 days left at any time on 2026-03-28, 1 on 2026-03-30."""
    if now >= end_at:
        return 0
    last_day = local_date(end_at - timedelta(microseconds=1), zone)
    return (last_day - local_date(now, zone)).days + 1
