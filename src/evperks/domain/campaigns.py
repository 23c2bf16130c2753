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
