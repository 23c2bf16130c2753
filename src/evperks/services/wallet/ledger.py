"""The wallet ledger: append-only rows, each with the balance after it; ``members.wallet_balance_fen``
is the cached sum, changed only by one guarded UPDATE in the same transaction as the row
(``store.post_entry``). Use cases: the member's ledger, refunds outside evperks, reconciliation."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select

from evperks.db.tables import members
from evperks.db.tables_wallet import provider_refunds, recharges, wallet_ledger
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.lookups import lock_member, require_member
from evperks.services.pagination import newest_first
from evperks.services.wallet.results import LedgerEntry, LedgerPage, Refund
from evperks.services.wallet.store import available_fen, post_entry


def member_ledger(ctx: Context, *, member_id: str, limit: int = 50, cursor: str | None = None) -> LedgerPage:
    """The member's wallet ledger, newest first."""
    stmt = select(wallet_ledger).where(wallet_ledger.c.member_id == member_id)
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows, next_cursor = newest_first(conn, stmt, wallet_ledger.c.id, limit=limit, cursor=cursor)
    return LedgerPage(items=[_entry(r) for r in rows], next_cursor=next_cursor)


def _entry(row) -> LedgerEntry:
    return LedgerEntry(id=row.id, amount_fen=row.amount_fen, balance_after_fen=row.balance_after_fen, kind=row.kind,
                       ref=row.ref, reason=row.reason, created_at=row.created_at)


def checked_refund(amount_fen: int, reason: str) -> str:
    """The reason, trimmed; 422 for an empty reason or an amount that is not positive."""
    reason = reason.strip()
    if not reason:
        raise Invalid("a reason is required", field="reason", code="reason.required")
    if amount_fen <= 0:
        raise Invalid("must be greater than 0", field="amount_fen", code="wallet.amount_not_positive")
    return reason


def refund_wallet(
    ctx: Context,
    *,
    member_id: str,
    amount_fen: int,
    reason: str,
    refund_no: str | None = None,
    created_by: str | None = None,
) -> tuple[Refund, bool]:
    """Pay unused balance back (退款) with a reason; never more than the balance (409). With a
    ``refund_no`` a repeat returns the first refund (False) instead of refunding twice."""
    reason = checked_refund(amount_fen, reason)
    ref = refund_no or "RF-" + uuid.uuid4().hex
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        lock_member(conn, member_id)
        earlier = conn.execute(
            select(wallet_ledger).where(wallet_ledger.c.kind == "refund", wallet_ledger.c.ref == ref)
        ).first()
        if earlier is not None:
            through_provider = conn.execute(select(provider_refunds.c.refund_no)
                                            .where(provider_refunds.c.refund_no == ref)).first()
            if through_provider or (earlier.member_id, -earlier.amount_fen) != (member_id, amount_fen):
                raise Conflict("this refund_no was already used with different content", field="refund_no",
                               code="wallet.refund_no_reused")
            return _refund_out(earlier), False
        balance = post_entry(conn, member_id=member_id, amount_fen=-amount_fen, kind="refund", ref=ref, now=now,
                             reason=reason, created_by=created_by)
        if balance is None:
            raise Conflict("exceeds the wallet balance of %(balance)s fen", field="amount_fen", code="wallet.balance_exceeded",
                           balance=available_fen(conn, member_id))
        row = conn.execute(
            select(wallet_ledger).where(wallet_ledger.c.kind == "refund", wallet_ledger.c.ref == ref)
        ).one()
        return _refund_out(row), True


def _refund_out(row) -> Refund:
    return Refund(refund_no=row.ref, member_id=row.member_id, amount_fen=-row.amount_fen, reason=row.reason,
                  wallet_balance_fen=row.balance_after_fen, ledger_id=row.id, created_at=row.created_at,
                  via="outside", order_no=None, status="success", failure=None)


def reconcile_wallets(ctx: Context) -> list[str]:
    """Every way the wallets disagree with their ledgers; empty when each balance equals its ledger sum,
    every row's balance_after is the running sum, and each paid recharge is credited exactly once."""
    wl = wallet_ledger.c
    sums = (
        select(wl.member_id, func.sum(wl.amount_fen).label("total"), func.max(wl.id).label("last_id"))
        .group_by(wl.member_id)
        .subquery()
    )
    last = wallet_ledger.alias("last_row")
    total = func.coalesce(sums.c.total, 0)
    balances = (
        select(members.c.id, members.c.wallet_balance_fen, total.label("total"), last.c.balance_after_fen)
        .select_from(members.outerjoin(sums, sums.c.member_id == members.c.id).outerjoin(last, last.c.id == sums.c.last_id))
        .where(or_(members.c.wallet_balance_fen != total, members.c.wallet_balance_fen < 0,
                   and_(last.c.id.is_not(None), last.c.balance_after_fen != members.c.wallet_balance_fen)))
        .order_by(members.c.id)
    )
    running = select(
        wl.id, wl.member_id, wl.balance_after_fen,
        func.sum(wl.amount_fen).over(partition_by=wl.member_id, order_by=wl.id).label("running"),
    ).subquery()
    chain = select(running).where(or_(running.c.running != running.c.balance_after_fen, running.c.balance_after_fen < 0))
    credits = wallet_ledger.alias("credit")
    uncredited = (
        select(recharges.c.order_no, recharges.c.amount_fen, recharges.c.member_id, credits.c.amount_fen.label("credited"),
               credits.c.member_id.label("credited_member"))
        .select_from(recharges.outerjoin(credits, and_(credits.c.kind == "recharge", credits.c.ref == recharges.c.order_no)))
        .where(recharges.c.status == "paid")
        .where(or_(credits.c.id.is_(None), credits.c.amount_fen != recharges.c.amount_fen,
                   credits.c.member_id != recharges.c.member_id))
    )
    stray = (
        select(wl.ref, recharges.c.status)
        .select_from(wallet_ledger.outerjoin(recharges, recharges.c.order_no == wl.ref))
        .where(wl.kind == "recharge", or_(recharges.c.order_no.is_(None), recharges.c.status != "paid"))
    )
    problems: list[str] = []
    with ctx.db.read() as conn:
        for r in conn.execute(balances):
            problems.append(f"member {r.id}: wallet balance {r.wallet_balance_fen} fen but ledger sum {r.total} fen"
                            f" (last balance_after {r.balance_after_fen})")
        for r in conn.execute(chain):
            problems.append(f"member {r.member_id}: ledger row {r.id} says balance_after {r.balance_after_fen} fen"
                            f" but the running sum is {r.running} fen")
        for r in conn.execute(uncredited):
            problems.append(f"recharge {r.order_no}: paid {r.amount_fen} fen for {r.member_id} but credited"
                            f" {r.credited} fen to {r.credited_member}")
        for r in conn.execute(stray):
            problems.append(f"ledger recharge row for {r.ref}: the recharge is {r.status or 'missing'}")
    return problems
