"""Settlement step (last): consumption campaigns advance, and a first charge pays the referral reward.

``plan`` does nothing: a quote shows no rewards (packages depend on budgets that only the settlement's
own transaction can spend). ``apply`` appends what this order caused to ``s.rewards`` — tier packages
for the member, and the referral package, which goes to the *inviter* — and stores them in the
order's saved result, so a replay returns the same body as the first settlement.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from evperks.db.tables import charge_orders
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
        if rewards:
            s.rewards.extend(rewards)
            _store_rewards(conn, s)


def _store_rewards(conn: Connection, s: Settlement) -> None:
    """The order row was inserted before the steps applied; put the rewards into its saved body."""
    where = charge_orders.c.order_no == s.order.order_no
    result = dict(conn.execute(select(charge_orders.c.result).where(where)).scalar_one())
    result["rewards"] = list(s.rewards)
    conn.execute(update(charge_orders).where(where).values(result=result))
