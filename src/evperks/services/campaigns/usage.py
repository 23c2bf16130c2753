"""Which voucher templates campaigns use (a used template keeps the value it promises)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from evperks.db.tables import campaigns
from evperks.domain.campaigns import PUBLISHED


def reward_template_ids(reward: list[dict] | None, tiers: list[dict] | None) -> set:
    ids = {item.get("template_id") for item in reward or []}
    for tier in tiers or []:
        ids |= {item.get("template_id") for item in tier.get("reward") or []}
    return ids


def template_in_use(conn: Connection, template_id: int) -> bool:
    """Whether any published campaign (scheduled, active or ended) has the template in its reward or
    tiers. Drafts do not count: they have promised nothing yet, and publishing reads the template then.
    Campaigns number in the hundreds, so reading their reward columns is cheaper than a JSON index."""
    rows = conn.execute(select(campaigns.c.reward, campaigns.c.tiers).where(campaigns.c.status.in_(PUBLISHED)))
    return any(template_id in reward_template_ids(reward, tiers) for reward, tiers in rows)
