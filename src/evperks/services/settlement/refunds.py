"""Refund a settled charge order (退款), in full or in part: one transaction under the member's lock,
idempotent by ``refund_no``.

The money: the order's ``refunded_fen`` rises by one guarded UPDATE (never past what was paid in money,
whatever runs in parallel); the external part (``due_fen``) goes back first — the platform returns it
through its own channel, evperks records it — then the wallet (ledger kind ``order_refund``). Earned
points are taken back in proportion (``domain.refunds``). The refund that completes the order undoes
the rest: the voucher, the redeemed points, the member's counts and campaign progress, and the rewards
the order triggered when none of their vouchers was used (``campaigns.revoke``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import charge_order_refunds, charge_orders, members, vouchers
from evperks.db.tables_points import points_lots
from evperks.domain.refunds import PaidOrder, RefundPlan, plan_refund, refund_refusal
from evperks.services import audit_store
from evperks.services.campaigns.revoke import revoke_rewards, withdraw_from_progress
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.messages_store import post_message
from evperks.services.points import store as points_store
from evperks.services.settlement.results import RefundBody
from evperks.services.wallet.store import post_entry

MESSAGE = "order_refunded"
_BAD_AMOUNT = ("refund.amount_zero", "refund.amount_negative")
_STORED = select(charge_order_refunds.c.fingerprint, charge_order_refunds.c.result).where(
    charge_order_refunds.c.refund_no == bindparam("refund_no"))
_ORDER = select(charge_orders).where(charge_orders.c.order_no == bindparam("order_no"))
_LOCK_MEMBER = select(members.c.points_held).where(members.c.id == bindparam("member_id")).with_for_update()
# Built once, with bind parameters (as settlement's are): building them per call cost more than running them.
_O, _M = charge_orders.c, members.c
_RAISE = (
    update(charge_orders)
    .where(_O.order_no == bindparam("o_no"), _O.refunded_fen == bindparam("before"),
           _O.refunded_fen + bindparam("amount") <= _O.wallet_paid_fen + _O.due_fen)
    .values(refunded_fen=_O.refunded_fen + bindparam("amount"), status=bindparam("status_after"))
)
_INSERT_REFUND = insert(charge_order_refunds)
_EARNED_LOT = select(points_lots.c.id).where(points_lots.c.source == "earn", points_lots.c.ref == bindparam("o_no"),
                                             points_lots.c.member_id == bindparam("m_id"))


def _less(column, amount: str):
    """``column − :amount``, never below zero."""
    return case((column > bindparam(amount), column - bindparam(amount)), else_=0)


_WITHDRAW_PAID = update(members).where(_M.id == bindparam("m_id")).values(total_paid_fen=_less(_M.total_paid_fen, "paid"))
_WITHDRAW_ORDER = _WITHDRAW_PAID.values(charge_count=_less(_M.charge_count, "one"), total_wh=_less(_M.total_wh, "wh"))


def refund(ctx: Context, *, order_no: str, refund_no: str, amount_fen: int | None, reason: str | None = None,
           created_by: str | None = None) -> tuple[RefundBody, bool]:
    """The refund's answer, and whether this call made it (False: a repeat of the same refund_no)."""
    if amount_fen is not None and amount_fen < 0:
        raise Invalid("may not be negative", field="amount_fen", code="refund.amount_negative")
    fingerprint = _fingerprint(order_no, amount_fen, reason)
    now = ctx.clock.now()
    try:
        with ctx.db.write() as conn:
            stored = _repeat(conn, refund_no, fingerprint)
            if stored is not None:
                return stored, False
            order = conn.execute(_ORDER, {"order_no": order_no}).first()
            if order is None:
                raise NotFound("charge order %(order_no)r does not exist", code="order.not_found", order_no=order_no)
            points_held = conn.execute(_LOCK_MEMBER, {"member_id": order.member_id}).scalar_one()
            # Read again now that the member is ours: a parallel request may have just made this refund.
            stored = _repeat(conn, refund_no, fingerprint)
            if stored is not None:
                return stored, False
            order = conn.execute(_ORDER, {"order_no": order_no}).first()
            paid = PaidOrder(order.wallet_paid_fen, order.due_fen, order.points_earned, order.refunded_fen, order.status)
            refusal = refund_refusal(paid, amount_fen)
            if refusal is not None:  # a wrong amount is bad input; more than is left, or nothing left, a conflict
                raise (Invalid if refusal.code in _BAD_AMOUNT else Conflict).because(refusal)
            plan = plan_refund(paid, amount_fen)
            body = _apply(conn, ctx, order, plan, refund_no=refund_no, points_held=points_held, now=now)
            conn.execute(_INSERT_REFUND, dict(
                refund_no=refund_no, order_no=order_no, member_id=order.member_id, amount_fen=plan.amount_fen,
                external_fen=plan.external_fen, wallet_fen=plan.wallet_fen, points_returned=body.points_returned,
                voucher_returned=body.voucher_returned, points_clawed_back=body.points_clawed_back, reason=reason,
                created_by=created_by, fingerprint=fingerprint, result=body.as_dict(), created_at=now))
            audit_store.record(conn, actor=created_by or "api", action="refund_order", target_type="charge_order",
                               target_id=order_no, before={"refunded_fen": order.refunded_fen, "status": order.status},
                               after={**body.as_dict(), "reason": reason}, at=now)
            return body, True
    except IntegrityError:
        # Only the same refund_no sent in parallel for another member's order gets here (one member's
        # refunds queue on its lock and read it again): everything rolled back; answer as the repeat or
        # conflict it is.
        with ctx.db.read() as conn:
            stored = _repeat(conn, refund_no, fingerprint)
        if stored is None:
            raise
        return stored, False


def _fingerprint(order_no: str, amount_fen: int | None, reason: str | None) -> str:
    content = json.dumps({"order_no": order_no, "amount_fen": amount_fen, "reason": reason}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def _repeat(conn: Connection, refund_no: str, fingerprint: str) -> RefundBody | None:
    row = conn.execute(_STORED, {"refund_no": refund_no}).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Conflict("this refund_no was already used with different content", field="refund_no",
                       code="refund.refund_no_reused")
    return RefundBody(**row.result)


def _apply(conn: Connection, ctx: Context, order, plan: RefundPlan, *, refund_no: str, points_held: int,
           now: datetime) -> RefundBody:
    raised = conn.execute(_RAISE, {"o_no": order.order_no, "before": order.refunded_fen, "amount": plan.amount_fen,
                                   "status_after": plan.status_after}).rowcount
    if raised != 1:  # impossible under the member lock; never refund more than was paid regardless
        raise Conflict("the order's refunds changed meanwhile", field="amount_fen", code="refund.changed_meanwhile")
    if plan.wallet_fen:
        post_entry(conn, member_id=order.member_id, amount_fen=plan.wallet_fen, kind="order_refund", ref=refund_no,
                   now=now, reason=f"refund of {order.order_no}")
    clawed, _shortfall = points_store.claw_back(
        conn, member_id=order.member_id, points=plan.points_clawed_back, first_lot=_earned_lot(conn, order),
        valid_after=now, keep=points_held, now=now, kind="refund_clawback", ref=refund_no,
        reason=f"refund of {order.order_no}")
    returned, voucher_returned, revoked, kept = 0, False, [], []
    if plan.full:
        voucher_returned = _release_voucher(conn, order, now)
        if order.points_used:
            returned = points_store.give_back(conn, member_id=order.member_id, spent_by=order.order_no,
                                              spent_kind="redeem", now=now, kind="refund_return", ref=refund_no,
                                              reason=f"refund of {order.order_no}")
        revoked, kept = revoke_rewards(conn, rewards=order.result.get("rewards", []), refund_no=refund_no, now=now)
    _withdraw_activity(conn, order, plan, now)
    body = RefundBody(refund_no=refund_no, order_no=order.order_no, amount_fen=plan.amount_fen,
                      external_fen=plan.external_fen, wallet_fen=plan.wallet_fen, points_returned=returned,
                      voucher_returned=voucher_returned, points_clawed_back=clawed, rewards_revoked=revoked,
                      rewards_kept=kept, order_status=plan.status_after)
    post_message(conn, ctx, member_id=order.member_id, type=MESSAGE, now=now, data={
        "order_no": order.order_no, "refund_no": refund_no, "amount_fen": plan.amount_fen,
        "external_fen": plan.external_fen, "wallet_fen": plan.wallet_fen, "points_returned": returned,
        "voucher_returned": voucher_returned, "points_clawed_back": clawed, "order_status": plan.status_after})
    return body


def _earned_lot(conn: Connection, order) -> int | None:
    """The lot the order's earned points went to: a claw-back takes from it first."""
    if not order.points_earned:
        return None
    return conn.execute(_EARNED_LOT, {"o_no": order.order_no, "m_id": order.member_id}).scalar_one_or_none()


def _release_voucher(conn: Connection, order, now: datetime) -> bool:
    """The order's voucher usable again while its validity lasts (after it: expired, not returned). The
    order row lets go of it too, so another order may use it."""
    if order.voucher_id is None:
        return False
    v = vouchers.c
    still_valid = v.valid_until > now
    conn.execute(
        update(vouchers).where(v.id == order.voucher_id, v.status == "used", v.used_order_no == order.order_no)
        .values(status=case((still_valid, "available"), else_="expired"), used_order_no=None, used_at=None)
    )
    conn.execute(update(charge_orders).where(charge_orders.c.order_no == order.order_no).values(voucher_id=None))
    return conn.execute(select(v.status).where(v.id == order.voucher_id)).scalar_one() == "available"


def _withdraw_activity(conn: Connection, order, plan: RefundPlan, now: datetime) -> None:
    """The member's totals and consumption progress lose what was refunded; a fully refunded order no
    longer counts as a charge (nor its kWh): the next order of a member with none left is a first charge."""
    conn.execute(_WITHDRAW_ORDER if plan.full else _WITHDRAW_PAID,
                 {"m_id": order.member_id, "paid": plan.amount_fen, "one": 1, "wh": order.energy_wh})
    withdraw_from_progress(conn, member_id=order.member_id, ended_at=order.end_time, settled_at=order.settled_at,
                           energy_wh=order.energy_wh if plan.full else 0, amount_fen=plan.amount_fen, now=now)
