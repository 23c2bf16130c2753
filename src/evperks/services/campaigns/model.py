"""A campaign as the engine sees it: the stored row as a plain value, and its API form.

Stored units: instants UTC; recharge tiers ``[{min_amount_fen, reward}]``; consumption tiers
``[{threshold, reward}]`` with ``threshold`` (and ``progress_reminder``) in integer Wh for
``metric = energy`` and in fen for ``metric = amount``. The API shows Wh as kWh decimal strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from evperks.domain.units import wh_to_kwh_str

STATUSES = ("draft", "scheduled", "active", "ended")
TYPES = ("referral", "registration", "recharge", "one_time", "consumption")
METRICS = ("energy", "amount")


@dataclass(frozen=True)
class Draft:
    """Every field a campaign may carry; any of them may still be missing in a draft."""

    type: str
    name: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    issue_at: datetime | None = None
    rules_text: str | None = None
    total_packages: int | None = None
    reward: list[dict] = field(default_factory=list)
    tiers: list[dict] = field(default_factory=list)
    metric: str | None = None
    progress_reminder: int | None = None
    countdown_days: int | None = None

    @classmethod
    def from_row(cls, row) -> Draft:
        values = {name: getattr(row, name) for name in cls.__dataclass_fields__}
        # Drafts saved before null was stored as [] hold a JSON null.
        return cls(**values | {"reward": values["reward"] or [], "tiers": values["tiers"] or []})


def energy_metric(campaign_type: str, metric: str | None) -> bool:
    return campaign_type == "consumption" and metric == "energy"


def _amount_out(value: int | None, energy: bool):
    if value is None:
        return None
    return wh_to_kwh_str(value) if energy else value


def campaign_out(row) -> dict:
    energy = energy_metric(row.type, row.metric)
    tiers = [
        {**tier, "threshold": _amount_out(tier["threshold"], energy)} if "threshold" in tier else dict(tier)
        for tier in row.tiers or []
    ]
    given = row.packages_given
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "status": row.status,
        "ended_reason": row.ended_reason,
        "start_at": row.start_at,
        "end_at": row.end_at,
        "issue_at": row.issue_at,
        "rules_text": row.rules_text,
        "total_packages": row.total_packages,
        "packages_given": given,
        "packages_left": None if row.total_packages is None else row.total_packages - given,
        "reward": row.reward or [],
        "tiers": tiers,
        "metric": row.metric,
        "progress_reminder": _amount_out(row.progress_reminder, energy),
        "countdown_days": row.countdown_days,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "published_at": row.published_at,
        "ended_at": row.ended_at,
    }
