"""Settlement step (last): consumption campaigns advance, and a first charge pays the referral reward.

``plan`` does nothing: a quote shows no rewards (packages depend on budgets that only the settlement's
own transaction can spend). ``apply`` appends what this order caused to ``s.rewards`` — tier packages
for the member, and the referral package, which goes to the *inviter*; the order's saved body, written
after every step, carries them, so a replay returns the same body as the first settlement.
"""

from __future__ import annotations

from sqlalchemy import Connection

from evperks.services.campaigns.progress import advance_consumption
from evperks.services.campaigns.triggers import on_first_charge
from evperks.services.context import Context
from evperks.services.settlement.pipeline import Settlement


class CampaignStep:
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        return None

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        order = s.order
        rewards = advance_consumption(
            conn, ctx, member_id=order.member_id, energy_wh=order.energy_wh,
            paid_fen=s.breakdown.after_discounts_fen, end_time=order.end_time, now=s.now,
        )
        if s.is_first_charge:
            rewards += on_first_charge(conn, ctx, invitee_id=order.member_id, inviter_id=s.member.invited_by, now=s.now)
        s.rewards.extend(rewards)
