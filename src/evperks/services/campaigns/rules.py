"""Publish checks shared by the campaign types: pure functions returning ``[(field, message)]``."""

from __future__ import annotations

from evperks.services.campaigns.model import Draft

MAX_QUANTITY = 100


def check_reward(reward: list[dict], where: str) -> list[tuple[str, str]]:
    """A package: at least one ``{template_id, quantity}``, quantities 1..100, each template once."""
    if not reward:
        return [(where, "needs at least one voucher template")]
    errors = []
    seen = set()
    for i, item in enumerate(reward):
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            errors.append((f"{where}.{i}.quantity", f"must be 1 to {MAX_QUANTITY}"))
        if item.get("template_id") in seen:
            errors.append((f"{where}.{i}.template_id", "appears twice; raise its quantity instead"))
        seen.add(item.get("template_id"))
    return errors


def check_tiers(tiers: list[dict], key: str, minimum: int = 1) -> list[tuple[str, str]]:
    """Tiers: non-empty, each with ``key`` ≥ ``minimum`` and a package, ascending and distinct."""
    if not tiers:
        return [("tiers", "needs at least one tier")]
    errors = []
    previous = None
    for i, tier in enumerate(tiers):
        value = tier.get(key)
        if not isinstance(value, int):
            errors.append((f"tiers.{i}.{key}", "is required"))
        elif value < minimum:
            errors.append((f"tiers.{i}.{key}", "must be greater than 0"))
        elif previous is not None and value <= previous:
            errors.append((f"tiers.{i}.{key}", f"tiers must be sorted ascending by {key}, each one distinct"))
        previous = value if isinstance(value, int) else previous
        errors += check_reward(tier.get("reward") or [], f"tiers.{i}.reward")
    return errors


def no_tiers(draft: Draft) -> list[tuple[str, str]]:
    return [("tiers", f"{draft.type} campaigns have no tiers")] if draft.tiers else []


def no_top_level_reward(draft: Draft) -> list[tuple[str, str]]:
    if draft.reward:
        return [("reward", "rewards come from the tiers; leave the top-level reward empty")]
    return []


def only_for_consumption(draft: Draft) -> list[tuple[str, str]]:
    fields = ("metric", "progress_reminder", "countdown_days")
    return [(f, "only consumption campaigns have it") for f in fields if getattr(draft, f) is not None]


def no_issue_at(draft: Draft) -> list[tuple[str, str]]:
    return [("issue_at", "only one-time grants have it")] if draft.issue_at is not None else []
