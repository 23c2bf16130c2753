"""What publishing a campaign checks without a database: the fields every type needs, and the pieces
each type module's ``validate`` combines (a package, ascending tiers, fields a type does not have).

Every check returns every ``Reason`` it finds, so publishing names all that is wrong at once. The
checks that read the database (templates enabled, members bound) live with the publish use case.
"""

from __future__ import annotations

from datetime import datetime

from evperks.domain.campaigns import Campaign, Metric, Reason

MAX_QUANTITY = 100


def common_refusals(campaign: Campaign, now: datetime) -> list[Reason]:
    """What every type needs: a name, a window that ends after it starts and in the future, rules, a budget."""
    refused = []
    if not campaign.name:
        refused.append(_required("name"))
    if campaign.start_at is None:
        refused.append(_required("start_at"))
    if campaign.end_at is None:
        refused.append(_required("end_at"))
    elif campaign.start_at is not None and campaign.end_at <= campaign.start_at:
        refused.append(Reason.of("end_at", "campaign.end_before_start", "must be after start_at"))
    elif campaign.end_at <= now:
        refused.append(Reason.of("end_at", "campaign.end_not_future", "must be in the future"))
    if not campaign.rules_text:
        refused.append(_required("rules_text"))
    if campaign.total_packages is None:
        refused.append(_required("total_packages"))
    elif campaign.total_packages < 1:
        refused.append(_at_least_one("total_packages"))
    return refused


def check_reward(reward: list[dict], where: str) -> list[Reason]:
    """A package: at least one ``{template_id, quantity}``, quantities 1..100, each template once."""
    if not reward:
        return [Reason.of(where, "campaign.reward_empty", "needs at least one voucher template")]
    refused = []
    seen = set()
    for i, item in enumerate(reward):
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            refused.append(Reason.of(f"{where}.{i}.quantity", "campaign.quantity_out_of_range",
                                      "must be 1 to %(max)s", max=MAX_QUANTITY))
        if item.get("template_id") in seen:
            refused.append(Reason.of(f"{where}.{i}.template_id", "campaign.template_repeated",
                                      "appears twice; raise its quantity instead"))
        seen.add(item.get("template_id"))
    return refused


def check_tiers(tiers: list[dict], key: str, minimum: int = 1) -> list[Reason]:
    """Tiers: non-empty, each with ``key`` ≥ ``minimum`` and a package, ascending and distinct."""
    if not tiers:
        return [Reason.of("tiers", "campaign.tiers_empty", "needs at least one tier")]
    refused = []
    previous = None
    for i, tier in enumerate(tiers):
        value = tier.get(key)
        where = f"tiers.{i}.{key}"
        if not isinstance(value, int):
            refused.append(_required(where))
        elif value < minimum:
            refused.append(_not_positive(where))
        elif previous is not None and value <= previous:
            refused.append(Reason.of(where, "campaign.tiers_not_ascending",
                                      "tiers must be sorted ascending by %(key)s, each one distinct", key=key))
        previous = value if isinstance(value, int) else previous
        refused += check_reward(tier.get("reward") or [], f"tiers.{i}.reward")
    return refused


def check_metric_settings(campaign: Campaign) -> list[Reason]:
    """A metric (kWh or fen) chosen; a reminder amount and countdown days, when given, above zero."""
    refused = []
    if campaign.metric not in tuple(Metric):
        refused.append(Reason.of("metric", "campaign.metric_required", "is required: energy or amount"))
    if campaign.progress_reminder is not None and campaign.progress_reminder < 1:
        refused.append(_not_positive("progress_reminder"))
    if campaign.countdown_days is not None and campaign.countdown_days < 1:
        refused.append(_at_least_one("countdown_days"))
    return refused


def check_issue_at_inside(campaign: Campaign) -> list[Reason]:
    """A one-time grant's ``issue_at`` (default: its start) lies inside ``[start_at, end_at)``."""
    issue_at = campaign.issue_at or campaign.start_at
    if issue_at and campaign.start_at and campaign.end_at and not campaign.start_at <= issue_at < campaign.end_at:
        return [Reason.of("issue_at", "campaign.issue_at_outside", "must lie inside [start_at, end_at)")]
    return []


def no_tiers(campaign: Campaign) -> list[Reason]:
    if campaign.tiers:
        return [Reason.of("tiers", "campaign.tiers_not_allowed", "%(type)s campaigns have no tiers",
                           type=campaign.type)]
    return []


def no_top_level_reward(campaign: Campaign) -> list[Reason]:
    if campaign.reward:
        return [Reason.of("reward", "campaign.reward_from_tiers",
                           "rewards come from the tiers; leave the top-level reward empty")]
    return []


def only_for_consumption(campaign: Campaign) -> list[Reason]:
    return [Reason.of(name, "campaign.only_consumption", "only consumption campaigns have it")
            for name in ("metric", "progress_reminder", "countdown_days") if getattr(campaign, name) is not None]


def no_issue_at(campaign: Campaign) -> list[Reason]:
    if campaign.issue_at is not None:
        return [Reason.of("issue_at", "campaign.only_one_time", "only one-time grants have it")]
    return []


def _required(field: str) -> Reason:
    return Reason.of(field, "campaign.required", "is required")


def _not_positive(field: str) -> Reason:
    return Reason.of(field, "campaign.not_positive", "must be greater than 0")


def _at_least_one(field: str) -> Reason:
    return Reason.of(field, "campaign.at_least_one", "must be at least 1")
