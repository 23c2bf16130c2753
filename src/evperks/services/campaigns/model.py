"""A campaign's two outward forms: the values the API takes → stored columns, and the stored row → the
API's ``CampaignOut``.

Stored units: instants UTC; recharge tiers ``[{min_amount_fen, reward}]``; consumption tiers
``[{threshold, reward}]`` with ``threshold`` (and ``progress_reminder``) in integer Wh for
``metric = energy`` and in fen for ``metric = amount``. The API shows Wh as kWh decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from evperks.domain.campaigns import FIELDS, Metric, Reason, Status
from evperks.domain.timecal import as_utc
from evperks.domain.units import InvalidEnergy, kwh_to_wh, wh_to_kwh_str
from evperks.services.campaigns.types import CAMPAIGN_TYPES, CampaignType
from evperks.services.results import Result, result

# Kept for the console's filters and choices; the enums and the registry are the source.
STATUSES = tuple(Status)
TYPES = tuple(CAMPAIGN_TYPES)
METRICS = tuple(Metric)


@result
class CampaignOut(Result):
    id: int
    name: str | None
    type: str
    status: str
    ended_reason: str | None
    start_at: datetime | None
    end_at: datetime | None
    issue_at: datetime | None
    rules_text: str | None
    total_packages: int | None
    packages_given: int
    packages_left: int | None
    reward: list[dict]
    tiers: list[dict]
    metric: str | None
    progress_reminder: int | str | None
    countdown_days: int | None
    min_first_charge_kwh: str | None
    min_first_charge_paid_fen: int | None
    max_rewards_per_inviter: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    ended_at: datetime | None


@result
class CampaignPage(Result):
    items: list[CampaignOut]
    next_cursor: str | None


def energy_metric(campaign_type: str, metric: str | None) -> bool:
    """Whether the campaign's amounts are kWh (stored as Wh) rather than fen."""
    kind = CAMPAIGN_TYPES.get(campaign_type)
    return kind is not None and kind.ACCUMULATES and metric == Metric.ENERGY


def campaign_out(row) -> CampaignOut:
    energy = energy_metric(row.type, row.metric)
    tiers = [
        {**tier, "threshold": _amount_out(tier["threshold"], energy)} if "threshold" in tier else dict(tier)
        for tier in row.tiers or []
    ]
    given = row.packages_given
    return CampaignOut(
        id=row.id, name=row.name, type=row.type, status=row.status, ended_reason=row.ended_reason,
        start_at=row.start_at, end_at=row.end_at, issue_at=row.issue_at, rules_text=row.rules_text,
        total_packages=row.total_packages, packages_given=given,
        packages_left=None if row.total_packages is None else row.total_packages - given,
        reward=row.reward or [], tiers=tiers, metric=row.metric,
        progress_reminder=_amount_out(row.progress_reminder, energy), countdown_days=row.countdown_days,
        min_first_charge_kwh=_amount_out(row.min_first_charge_wh, True),
        min_first_charge_paid_fen=row.min_first_charge_paid_fen, max_rewards_per_inviter=row.max_rewards_per_inviter,
        created_at=row.created_at, updated_at=row.updated_at, published_at=row.published_at, ended_at=row.ended_at,
    )


def _amount_out(value: int | None, energy: bool):
    if value is None:
        return None
    return wh_to_kwh_str(value) if energy else value


# --- API values → stored columns --------------------------------------------------------------------

def stored_columns(values: dict, *, campaign_type: str, metric: str | None, zone: ZoneInfo) -> tuple[dict, list[Reason]]:
    """Instants in UTC, text stripped, a cleared list empty, accumulated amounts in Wh or fen by metric;
    and the values that cannot be stored."""
    kind = CAMPAIGN_TYPES[campaign_type]
    columns: dict = {}
    refused: list[Reason] = []
    energy = energy_metric(campaign_type, metric)
    for name, value in values.items():
        if name not in FIELDS:
            raise ValueError(f"not a campaign field: {name}")
        if isinstance(value, datetime):
            value = as_utc(value, zone)
        elif name in ("name", "rules_text") and value is not None:
            value = value.strip() or None
        elif name in ("reward", "tiers") and value is None:
            value = []  # a cleared list is an empty one: publishing then names it as missing
        elif name == "tiers":
            value = [_tier(tier, i, kind, metric, energy, refused) for i, tier in enumerate(value)]
        elif name == "progress_reminder" and value is not None:
            value = _amount(value, "progress_reminder", kind, metric, energy, refused)
        elif name == "min_first_charge_kwh":
            name, value = "min_first_charge_wh", _kwh(value, name, refused)
        if name in _SAFEGUARD_COLUMNS and value is not None and not getattr(kind, "SAFEGUARD_FIELDS", ()):
            refused.append(Reason.of(_SAFEGUARD_COLUMNS[name], "campaign.only_referral",
                                     "only referral campaigns have it"))
        columns[name] = value
    return columns, refused


# The referral safeguards' columns → the fields the API names them by.
_SAFEGUARD_COLUMNS = {"min_first_charge_wh": "min_first_charge_kwh", "min_first_charge_paid_fen": "min_first_charge_paid_fen",
                      "max_rewards_per_inviter": "max_rewards_per_inviter"}


def _kwh(value, field: str, refused: list) -> int | None:
    """kWh (number or decimal string, ≤ 3 decimals) → Wh; None stays None."""
    if value is None:
        return None
    try:
        return kwh_to_wh(value)
    except InvalidEnergy as exc:
        refused.append(Reason.of(field, "campaign.kwh_invalid", "kWh %(reason)s", reason=str(exc)))
        return None


_TIER_KEYS = ("min_amount_fen", "threshold")


def _tier(tier: dict, i: int, kind: CampaignType, metric, energy: bool, refused: list) -> dict:
    stored = {key: value for key, value in tier.items() if value is not None}
    stored["reward"] = list(tier.get("reward") or [])
    if kind.TIER_KEY is not None:
        refused += [Reason.of(f"tiers.{i}.{key}", "campaign.tier_key_wrong", "%(type)s tiers use %(key)s",
                               type=kind.NAME, key=kind.TIER_KEY)
                    for key in _TIER_KEYS if key != kind.TIER_KEY and key in stored]
    if "threshold" in stored:
        stored["threshold"] = _amount(stored["threshold"], f"tiers.{i}.threshold", kind, metric, energy, refused)
    return stored


def _amount(value, field: str, kind: CampaignType, metric, energy: bool, refused: list):
    """An accumulated amount: kWh (number or decimal string, ≤ 3 decimals) → Wh, or whole fen."""
    if not kind.ACCUMULATES:
        if field == "progress_reminder" and (isinstance(value, bool) or not isinstance(value, int)):
            refused.append(Reason.of(field, "campaign.reminder_needs_type",
                                      "only consumption campaigns have it (set type and metric first)"))
            return None
        return value
    if metric is None:
        refused.append(Reason.of(field, "campaign.metric_first",
                                  "set metric (energy or amount) first: it says whether this is kWh or fen"))
        return None
    if energy:
        try:
            return kwh_to_wh(value)
        except InvalidEnergy as exc:
            refused.append(Reason.of(field, "campaign.kwh_invalid", "kWh %(reason)s", reason=str(exc)))
            return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        refused.append(Reason.of(field, "campaign.fen_not_whole", "must be a whole number of fen"))
        return None
    return value
