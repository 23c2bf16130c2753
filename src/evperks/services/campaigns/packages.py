"""Giving one member one package, by the one set-based issue (``campaigns.issue``): all of its
vouchers or none, and never beyond the campaign's budget."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from evperks.services.campaigns.issue import Unissuable, end_campaign, issue
from evperks.services.context import Context

__all__ = ["Grant", "end_campaign", "grant_package"]
log = logging.getLogger("evperks.campaigns")


@dataclass(frozen=True)
class Grant:
    campaign_id: int
    package_id: int
    voucher_ids: list[int]

    def as_reward(self) -> dict:
        return {"campaign_id": self.campaign_id, "voucher_ids": self.voucher_ids}


def grant_package(conn: Connection, ctx: Context, *, campaign_id: int, member_id: str, trigger: str,
                  reward: list[dict], now: datetime, ref: str = "") -> Grant | None:
    """Give ``member_id`` one package of ``reward`` (``[{template_id, quantity}]``) from an active
    campaign; None when it is not active, its budget is spent, this (trigger, ref) was already
    rewarded, or a template can no longer be issued (logged). The last package ends the campaign."""
    try:
        issued = issue(conn, ctx, campaign_id=campaign_id, to=member_id, trigger=trigger, reward=reward, now=now, ref=ref)
    except Unissuable:
        log.warning("campaign %s: a reward template can no longer be issued; no package for %s", campaign_id, member_id)
        return None
    if issued is None or not issued.package_ids:
        return None
    return Grant(campaign_id=campaign_id, package_id=issued.package_ids[0], voucher_ids=issued.voucher_ids)
