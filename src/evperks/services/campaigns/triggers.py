"""Earlier names of the campaign triggers, kept for the callers written against them: every event now
goes through ``react``; which campaigns are running is ``running``'s."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from evperks.domain.campaign_events import RechargePaid
from evperks.services.campaigns.react import react, rewards
from evperks.services.campaigns.running import guarded, running_campaigns
from evperks.services.context import Context

__all__ = ["guarded", "on_recharge_paid", "running_campaigns"]


def on_recharge_paid(conn: Connection, ctx: Context, *, member_id: str, order_no: str, amount_fen: int,
                     now: datetime) -> list[dict]:
    """``react`` to a paid recharge; the packages given as ``[{campaign_id, voucher_ids}]``."""
    return rewards(react(conn, ctx, RechargePaid(member_id=member_id, order_no=order_no, amount_fen=amount_fen, at=now)))
