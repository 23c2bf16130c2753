"""Settlement step (last): consumption campaigns advance, and a first charge pays the referral reward.

``plan`` does nothing: a quote shows no rewards (packages depend on budgets that only the settlement's
own transaction can spend). ``apply`` appends what this order caused to ``s.rewards`` — tier packages
for the member, and the referral package, which goes to the *inviter*; the order's saved body, written
after every step, carries them, so a replay returns the same body as the first settlement.
"""

from __future__ import annotations

from sqlalchemy import Connection

from evperks.domain.campaign_events import OrderSettled
from evperks.services.campaigns.react import react, rewards
from evperks.services.context import Context
from evperks.services.settlement.pipeline import Settlement


class CampaignStep:
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        return None

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        order = s.order
        given = react(conn, ctx, OrderSettled(
            member_id=order.member_id, inviter_id=s.member.invited_by, order_no=order.order_no,
            energy_wh=order.energy_wh, paid_fen=s.breakdown.after_discounts_fen, first_charge=s.is_first_charge,
            ended_at=order.end_time, at=s.now,
        ))
        s.rewards.extend(rewards(given))
