"""Giving one reward package: all of its vouchers or none, and never beyond the campaign's budget.

The budget is one guarded UPDATE (``packages_given < total_packages``) on the campaign's row, and the
package row is unique per (campaign, member, trigger, ref), so a retry or a parallel duplicate can
neither give twice nor spend budget for nothing. The whole grant runs inside a SAVEPOINT of the
caller's transaction: when the budget is gone, nothing of it remains, and the caller's own change
(a settlement, a registration, a recharge) goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from evperks.db.tables import campaign_packages, campaigns, voucher_templates
from evperks.db.upsert import insert_for
from evperks.domain.vouchers import WindowClosed
from evperks.services.context import Context
from evperks.services.messages import post_message
from evperks.services.vouchers import issue_from_template, template_validity_period

log = logging.getLogger("evperks.campaigns")


@dataclass(frozen=True)
class Grant:
    campaign_id: int
    package_id: int
    voucher_ids: list[int]

    def as_reward(self) -> dict:
        return {"campaign_id": self.campaign_id, "voucher_ids": self.voucher_ids}


def grant_package(
    conn: Connection,
    ctx: Context,
    *,
    campaign_id: int,
    member_id: str,
    trigger: str,
    reward: list[dict],
    now: datetime,
    ref: str = "",
) -> Grant | None:
    """Give ``member_id`` one package of ``reward`` (``[{template_id, quantity}]``) from an active
    campaign; None when it is not active, its budget is spent, this (trigger, ref) was already
    rewarded, or a template can no longer be issued. The last package ends the campaign."""
    templates = _issuable_templates(conn, ctx, reward, now)
    if templates is None:
        log.warning("campaign %s: a reward template can no longer be issued; no package for %s", campaign_id, member_id)
        return None
    with conn.begin_nested() as savepoint:
        package_id = conn.execute(
            insert_for(conn, campaign_packages)
            .values(campaign_id=campaign_id, member_id=member_id, trigger=trigger, ref=ref, created_at=now)
            .on_conflict_do_nothing(index_elements=["campaign_id", "member_id", "trigger", "ref"])
            .returning(campaign_packages.c.id)
        ).scalar_one_or_none()
        if package_id is None:
            savepoint.rollback()
            return None
        budget = conn.execute(
            update(campaigns)
            .where(
                campaigns.c.id == campaign_id,
                campaigns.c.status == "active",
                campaigns.c.packages_given < campaigns.c.total_packages,
            )
            .values(packages_given=campaigns.c.packages_given + 1, updated_at=now)
            .returning(campaigns.c.packages_given, campaigns.c.total_packages, campaigns.c.name)
        ).first()
        if budget is None:
            savepoint.rollback()
            return None
        if budget.packages_given == budget.total_packages:
            end_campaign(conn, campaign_id=campaign_id, reason="exhausted", now=now)
        voucher_ids = []
        for item in reward:
            voucher_ids += issue_from_template(
                conn, ctx, template=templates[item["template_id"]], member_ids=[member_id] * item["quantity"],
                now=now, source_kind="campaign", extra={"campaign_id": campaign_id, "package_id": package_id},
            )
        post_message(
            conn, ctx, member_id=member_id, type="voucher_received", now=now,
            data={"campaign_id": campaign_id, "campaign_name": budget.name, "voucher_ids": voucher_ids},
        )
    return Grant(campaign_id=campaign_id, package_id=package_id, voucher_ids=voucher_ids)


def end_campaign(conn: Connection, *, campaign_id: int, reason: str, now: datetime) -> bool:
    """Move a scheduled or active campaign to ended with ``reason``; False when it had already ended."""
    ended = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(("scheduled", "active")))
        .values(status="ended", ended_reason=reason, ended_at=now, updated_at=now)
    ).rowcount
    return ended == 1


def _issuable_templates(conn: Connection, ctx: Context, reward: list[dict], now: datetime) -> dict | None:
    """The reward's templates by id, or None when one of them cannot be issued now (window closed)."""
    ids = {item["template_id"] for item in reward}
    rows = {r.id: r for r in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(ids)))}
    for row in rows.values():
        try:
            template_validity_period(row, now, ctx.zone)
        except WindowClosed:
            return None
    return rows if len(rows) == len(ids) else None
