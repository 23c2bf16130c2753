"""Refunds of principal through WeChat Pay's refund API (退款 with EVPERKS_PAYMENT_PROVIDER=wechat).

One refund goes back to one paid WeChat Pay recharge: the one named by ``order_no``, or else the
newest whose unrefunded part covers the amount (WeChat Pay refunds a transaction, never more than it
paid). The wallet is debited when the refund is asked for, in the transaction that records it
(ledger kind 'refund', ref refund_no), so the money cannot be spent and refunded too. WeChat Pay's
answer, its notification (REFUND.SUCCESS / ABNORMAL / CLOSED) or the ``wechat_sync`` job's query then
finishes it, once: a failed refund credits the amount back (kind 'refund_reversal', same ref).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Connection, func, insert, select, update

from evperks.db.tables import members
from evperks.db.tables_wallet import provider_refunds, recharges, wallet_ledger
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.lookups import lock_member
from evperks.services.payments import wechat_for
from evperks.services.payments.wechat import RefundEvent, WechatPayError
from evperks.services.wallet.ledger import checked_refund
from evperks.services.wallet.results import Refund, RefundSweep
from evperks.services.wallet.store import available_fen, post_entry

log = logging.getLogger("evperks.payments.wechat")
SWEEP_BATCH = 200


def refund_through_provider(
    ctx: Context,
    *,
    member_id: str,
    amount_fen: int,
    reason: str,
    refund_no: str,
    order_no: str | None = None,
    created_by: str | None = None,
) -> tuple[Refund, bool]:
    """Debit the wallet and ask WeChat Pay to refund; the refund (status pending, success or failed)
    and whether this call made it. The same refund_no again returns it; with other content 409."""
    reason = checked_refund(amount_fen, reason)
    provider = wechat_for(ctx)
    provider.check_configured()
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        lock_member(conn, member_id)
        earlier = _refund(conn, refund_no)
        if earlier is not None:
            if (earlier.member_id, earlier.amount_fen) != (member_id, amount_fen) or order_no not in (None, earlier.order_no):
                raise Conflict("this refund_no was already used with different content", field="refund_no",
                           code="wallet.refund_no_reused")
            return _refund_view(conn, earlier), False
        if conn.execute(select(wallet_ledger.c.id).where(wallet_ledger.c.kind == "refund",
                                                         wallet_ledger.c.ref == refund_no)).first():
            raise Conflict("this refund_no was already used with different content", field="refund_no",
                               code="wallet.refund_no_reused")
        recharge = _recharge_to_refund(conn, member_id, amount_fen, order_no)
        balance = post_entry(conn, member_id=member_id, amount_fen=-amount_fen, kind="refund", ref=refund_no, now=now,
                             reason=reason, created_by=created_by)
        if balance is None:
            raise Conflict("exceeds the wallet balance of %(balance)s fen", field="amount_fen", code="wallet.balance_exceeded",
                           balance=available_fen(conn, member_id))
        conn.execute(insert(provider_refunds).values(
            refund_no=refund_no, member_id=member_id, order_no=recharge.order_no, provider="wechat",
            amount_fen=amount_fen, status="pending", reason=reason, created_by=created_by, created_at=now))
    try:
        event = provider.refund(refund_no=refund_no, txn_id=recharge.provider_txn_id, amount_fen=amount_fen,
                                       total_fen=recharge.amount_fen, reason=reason)
    except WechatPayError as exc:
        if exc.definitive:
            event = RefundEvent(refund_no=refund_no, status="failed", provider_refund_id=None, detail=str(exc))
        else:  # maybe it reached WeChat Pay: the notification or the job's query will tell
            log.warning("refund %s: WeChat Pay did not answer: %s", refund_no, exc)
            event = None
    if event is not None:
        finish_refund(ctx, event)
    return get_refund(ctx, refund_no), True


def finish_refund(ctx: Context, event: RefundEvent) -> Refund:
    """Record WeChat Pay's outcome of a refund, once (pending -> success or failed; a failure credits
    the wallet back). Repeats and a still-pending outcome change nothing. Unknown refund_no 404."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        refund = _refund(conn, event.refund_no)
        if refund is None:
            raise NotFound("refund %(refund_no)r does not exist", code="refund.not_found", refund_no=event.refund_no)
        if event.status == "pending":
            return _refund_view(conn, refund)
        lock_member(conn, refund.member_id)
        changed = conn.execute(
            update(provider_refunds)
            .where(provider_refunds.c.refund_no == event.refund_no, provider_refunds.c.status == "pending")
            .values(status=event.status, provider_refund_id=event.provider_refund_id, finished_at=now,
                    failure=event.detail[:500] if event.status == "failed" else None)
        ).rowcount
        if changed and event.status == "failed":
            post_entry(conn, member_id=refund.member_id, amount_fen=refund.amount_fen, kind="refund_reversal",
                       ref=event.refund_no, now=now, reason=f"WeChat Pay refund failed: {event.detail}"[:500])
        return _refund_view(conn, _refund(conn, event.refund_no))


def sweep_refunds(ctx: Context) -> RefundSweep:
    """Part of the ``wechat_sync`` job: ask WeChat Pay about refunds pending longer than
    EVPERKS_WECHAT_QUERY_AFTER_MINUTES (a lost notification, or a request that timed out)."""
    before = ctx.clock.now() - timedelta(minutes=ctx.settings.wechat_query_after_minutes)
    with ctx.db.read() as conn:
        due = conn.execute(
            select(provider_refunds.c.refund_no)
            .where(provider_refunds.c.status == "pending", provider_refunds.c.created_at <= before)
            .order_by(provider_refunds.c.created_at).limit(SWEEP_BATCH)
        ).scalars().all()
    provider = wechat_for(ctx)
    queried = finished = failed_queries = 0
    for refund_no in due:
        try:
            event = provider.query_refund(refund_no)
        except WechatPayError as exc:
            if exc.code == "RESOURCE_NOT_EXISTS":  # the request never reached WeChat Pay
                event = RefundEvent(refund_no=refund_no, status="failed", provider_refund_id=None,
                                    detail="WeChat Pay has no such refund")
            else:
                log.warning("querying refund %s failed: %s", refund_no, exc)
                failed_queries += 1
                continue
        queried += 1
        if finish_refund(ctx, event).status != "pending":
            finished += 1
    return RefundSweep(refunds_queried=queried, refunds_finished=finished, refunds_failed_queries=failed_queries)


def get_refund(ctx: Context, refund_no: str) -> Refund:
    with ctx.db.read() as conn:
        refund = _refund(conn, refund_no)
        if refund is None:
            raise NotFound("refund %(refund_no)r does not exist", code="refund.not_found", refund_no=refund_no)
        return _refund_view(conn, refund)


def _recharge_to_refund(conn: Connection, member_id: str, amount_fen: int, order_no: str | None):
    refunded = (
        select(func.coalesce(func.sum(provider_refunds.c.amount_fen), 0))
        .where(provider_refunds.c.order_no == recharges.c.order_no, provider_refunds.c.status != "failed")
        .scalar_subquery()
    )
    stmt = (
        select(recharges.c.order_no, recharges.c.amount_fen, recharges.c.provider_txn_id, refunded.label("refunded"))
        .where(recharges.c.member_id == member_id, recharges.c.status == "paid", recharges.c.provider == "wechat")
    )
    if order_no is not None:
        row = conn.execute(stmt.where(recharges.c.order_no == order_no)).first()
        if row is None:
            raise Invalid("is not a paid WeChat Pay recharge of this member", field="order_no",
                          code="refund.not_a_paid_recharge")
        if row.amount_fen - row.refunded < amount_fen:
            raise Conflict("the recharge has %(left)s fen left to refund", field="amount_fen", code="refund.exceeds_recharge",
                           left=int(row.amount_fen - row.refunded))  # a SUM: Decimal on PostgreSQL
        return row
    row = conn.execute(
        stmt.where(recharges.c.amount_fen - refunded >= amount_fen)
        .order_by(recharges.c.paid_at.desc(), recharges.c.order_no.desc()).limit(1)
    ).first()
    if row is None:
        raise Conflict("no paid WeChat Pay recharge of this member has this much left to refund; split the refund"
                       " or name the recharge (order_no)", field="amount_fen", code="refund.no_recharge_covers_amount")
    return row


def _refund(conn: Connection, refund_no: str):
    return conn.execute(select(provider_refunds).where(provider_refunds.c.refund_no == refund_no)).first()


def _refund_view(conn: Connection, row) -> Refund:
    debit = conn.execute(select(wallet_ledger.c.id, wallet_ledger.c.balance_after_fen)
                         .where(wallet_ledger.c.kind == "refund", wallet_ledger.c.ref == row.refund_no)).one()
    balance = conn.execute(select(members.c.wallet_balance_fen).where(members.c.id == row.member_id)).scalar_one()
    return Refund(refund_no=row.refund_no, member_id=row.member_id, amount_fen=row.amount_fen, reason=row.reason,
                  wallet_balance_fen=balance, ledger_id=debit.id, created_at=row.created_at, via=row.provider,
                  order_no=row.order_no, status=row.status, failure=row.failure)
