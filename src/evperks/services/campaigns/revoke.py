"""Taking back the packages a refunded charge order triggered (a consumption tier, the inviter's referral
package): store functions that run in the refund's transaction.

A package is revoked only when none of its vouchers was used (or is held by an open charge session); it
is then revoked whole, in a savepoint, by one guarded UPDATE of its vouchers (a parallel settlement
using one of them either finds it revoked or makes the revocation find fewer vouchers and keep the
package). A revoked package goes back to the campaign's budget (``packages_given − 1``, guarded), but a
campaign that ended stays ended; the once-per-trigger uniqueness skips revoked packages, so the reward
can be earned again; a revoked tier lowers the tiers reached, a revoked referral package removes the
invitee's referral record. See docs/decisions.md ("Revoking a refunded order's rewards").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, case, delete, func, or_, select, update

from evperks.db.tables import campaign_packages, campaign_progress, campaigns, referral_rewards, vouchers
from evperks.db.types import UTCDateTime
from evperks.domain.campaigns import Metric, sorted_tiers, tiers_reached_after_revoking
from evperks.services.campaigns.types import consumption, referral

_UNUSED = ("available", "expired")


def revoke_rewards(conn: Connection, *, rewards: list[dict], refund_no: str, now: datetime) -> tuple[list[dict], list[dict]]:
    """Revoke each reward (``{campaign_id, voucher_ids}``, one package each, as a settlement reported them)
    whose vouchers are all unused; (revoked, kept), each in the rewards' own shape and order."""
    revoked, kept, tiers_revoked = [], [], set()
    for reward in rewards:
        package = _package_of(conn, reward["voucher_ids"])
        if package is not None and _revoke(conn, package, refund_no=refund_no, now=now):
            revoked.append(reward)
            if package.trigger == referral.NAME:  # the invitee's next first order can earn it again
                conn.execute(delete(referral_rewards).where(referral_rewards.c.package_id == package.id))
            elif package.trigger == consumption.TRIGGER:
                tiers_revoked.add((package.campaign_id, package.member_id))
        else:
            kept.append(reward)
    for campaign_id, member_id in sorted(tiers_revoked):
        _lower_tiers_reached(conn, campaign_id, member_id, refund_no)
    return revoked, kept


def _package_of(conn: Connection, voucher_ids: list[int]):
    if not voucher_ids:
        return None
    p, v = campaign_packages.c, vouchers.c
    return conn.execute(
        select(campaign_packages).where(p.id == select(func.min(v.package_id)).where(v.id.in_(voucher_ids))
                                        .scalar_subquery(), p.revoked_at.is_(None))
    ).first()


def _revoke(conn: Connection, package, *, refund_no: str, now: datetime) -> bool:
    v, p = vouchers.c, campaign_packages.c
    with conn.begin_nested() as savepoint:
        total = conn.execute(select(func.count()).where(v.package_id == package.id)).scalar_one()
        taken = conn.execute(
            update(vouchers)
            .where(v.package_id == package.id, v.status.in_(_UNUSED), v.held_by_session.is_(None))
            .values(status="revoked", revoked_at=now, revoke_reason=f"refund {refund_no}")
        ).rowcount
        if taken != total:  # a voucher was used (or is held): the package is kept whole
            savepoint.rollback()
            return False
        conn.execute(update(campaign_packages).where(p.id == package.id)
                     .values(revoked_at=now, revoked_by_refund=refund_no))
        # Back to the budget; an ended campaign stays ended (its status is not touched).
        conn.execute(update(campaigns).where(campaigns.c.id == package.campaign_id, campaigns.c.packages_given >= 1)
                     .values(packages_given=campaigns.c.packages_given - 1, updated_at=now))
    return True


def _lower_tiers_reached(conn: Connection, campaign_id: int, member_id: str, refund_no: str) -> None:
    """Once per campaign, with every tier package this refund revoked: a revoked tier can be reached again
    unless a higher tier's package is kept (``domain.campaigns.tiers_reached_after_revoking``)."""
    p, cp = campaign_packages.c, campaign_progress.c
    tiers = conn.execute(select(campaigns.c.tiers).where(campaigns.c.id == campaign_id)).scalar_one()
    progress = (cp.campaign_id == campaign_id, cp.member_id == member_id)
    reached = conn.execute(select(cp.tiers_reached).where(*progress)).scalar_one_or_none()
    if reached is None:
        return
    packages = conn.execute(select(p.ref, p.revoked_by_refund).where(
        p.campaign_id == campaign_id, p.member_id == member_id, p.trigger == consumption.TRIGGER,
        or_(p.revoked_at.is_(None), p.revoked_by_refund == refund_no))).all()
    revoked = {int(r.ref) for r in packages if r.revoked_by_refund == refund_no}
    kept = {int(r.ref) for r in packages if r.revoked_by_refund is None}
    lowered = tiers_reached_after_revoking(sorted_tiers(tiers, consumption.TIER_KEY), reached, revoked=revoked, kept=kept)
    if lowered != reached:
        conn.execute(update(campaign_progress).where(*progress).values(tiers_reached=lowered))


def withdraw_from_progress(conn: Connection, *, member_id: str, ended_at: datetime, settled_at: datetime,
                           energy_wh: int, amount_fen: int, now: datetime) -> None:
    """Take a refunded order's kWh (``energy_wh``, metric energy) and money (``amount_fen``, metric amount)
    out of the member's progress in the consumption campaigns the order counted in: those running when it
    was settled whose window holds its end (what ``running_campaigns`` chose then). Never below zero."""
    params = {"m_id": member_id, "ended": ended_at, "settled": settled_at, "now": now}
    for metric, amount in ((Metric.ENERGY, energy_wh), (Metric.AMOUNT, amount_fen)):
        if amount > 0:
            conn.execute(_WITHDRAW, {**params, "metric": metric.value, "amount": amount})


# Built once (every refund runs it): the progress rows of the campaigns the order counted in.
_C, _P = campaigns.c, campaign_progress.c
_SETTLED, _ENDED = bindparam("settled", type_=UTCDateTime()), bindparam("ended", type_=UTCDateTime())
_COUNTED = select(_C.id).where(
    _C.type == consumption.NAME, _C.metric == bindparam("metric"),
    or_(_C.published_at.is_(None), _C.published_at <= _SETTLED), or_(_C.ended_at.is_(None), _C.ended_at >= _SETTLED),
    _C.start_at <= _ENDED, _C.end_at > _ENDED)
_WITHDRAW = (
    update(campaign_progress)
    .where(_P.member_id == bindparam("m_id"), _P.campaign_id.in_(_COUNTED))
    .values(accumulated=case((_P.accumulated > bindparam("amount"), _P.accumulated - bindparam("amount")), else_=0),
            updated_at=bindparam("now", type_=UTCDateTime()))
)
