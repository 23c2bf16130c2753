"""Recharge orders (充值): created pending, credited exactly once when paid, or cancelled.

Exactly once, however often and however concurrently a payment is confirmed: the member's row is
locked first (the fixed order every wallet change follows), then one guarded
``UPDATE recharges SET status='paid' WHERE status='pending'`` decides; only the call that changed the
row credits the wallet, and the ledger's UNIQUE(kind, ref) would refuse a second credit regardless.
The first confirmation's answer is stored with the recharge; every repeat returns it unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import members
from evperks.db.tables_wallet import recharges
from evperks.db.upsert import insert_for
from evperks.domain.campaign_events import RechargePaid
from evperks.domain.wallet import recharge_refusal
from evperks.services.campaigns.react import react, rewards
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.lookups import lock_member, require_member
from evperks.services.messages_store import post_message
from evperks.services.pagination import MAX_LIMIT, after_desc, decode_cursor, page
from evperks.services.payments import PaymentProvider, provider_for
from evperks.services.wallet.results import Confirmed, Recharge, RechargeDetail, RechargePage, RechargeVoucher
from evperks.services.wallet.store import post_entry, read_rules, recharge_row, vouchers_by_recharge


def create_recharge(ctx: Context, *, order_no: str, member_id: str, amount_fen: int) -> tuple[Recharge, bool]:
    """A pending recharge, and whether this call created it. The same order_no with the same content
    returns it (False); with different content it is 409."""
    now = ctx.clock.now()
    provider = provider_for(ctx)
    with ctx.db.write() as conn:
        existing = recharge_row(conn, order_no)
        if existing is None:
            if conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is None:
                raise Invalid("no member has this id", field="member_id", code="member.unknown")
            reason = recharge_refusal(read_rules(conn), amount_fen)
            if reason is not None:
                raise Invalid.fields([reason], reason.message, code=reason.code)
            inserted = conn.execute(
                insert_for(conn, recharges)
                .values(order_no=order_no, member_id=member_id, amount_fen=amount_fen, status="pending",
                        provider=provider.name if provider else "platform", created_at=now)
                .on_conflict_do_nothing(index_elements=["order_no"])
                .returning(recharges.c.order_no)
            ).first()
            if inserted is not None:
                return recharge_view(recharge_row(conn, order_no), provider=provider), True
            existing = recharge_row(conn, order_no)  # a parallel request with this order_no committed first
        if (existing.member_id, existing.amount_fen) != (member_id, amount_fen):
            raise Conflict("this order_no was already used with different content", field="order_no",
                           code="recharge.order_no_reused")
        return recharge_view(existing, provider=provider), False


def get_recharge(ctx: Context, order_no: str) -> RechargeDetail:
    with ctx.db.read() as conn:
        row = recharge_row(conn, order_no)
        if row is None:
            raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
        brought = vouchers_by_recharge(conn, row.member_id, [order_no]).get(order_no, [])
    return recharge_view(row, provider=provider_for(ctx), vouchers=brought)


def confirm_recharge(
    ctx: Context,
    *,
    order_no: str,
    provider_txn_id: str,
    amount_fen: int | None = None,
    paid_at: datetime | None = None,
) -> Confirmed:
    """Credit the wallet for a paid recharge, exactly once: ``{order_no, status, amount_fen,
    wallet_balance_fen, rewards}``. Repeats return the first answer. Unknown order 404; an amount that
    differs, a cancelled order, a transaction id used for another recharge, or an order already paid
    by another transaction 409."""
    now = ctx.clock.now()
    if paid_at is not None and paid_at > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="paid_at", code="time.in_future")
    with ctx.db.write() as conn:
        return _confirm(conn, ctx, order_no, provider_txn_id, amount_fen, paid_at or now, now)


def _confirm(conn: Connection, ctx: Context, order_no: str, txn_id: str, amount_fen: int | None,
             paid_at: datetime, now: datetime) -> Confirmed:
    recharge = recharge_row(conn, order_no)
    if recharge is None:
        raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
    if amount_fen is not None and amount_fen != recharge.amount_fen:
        raise Conflict("the recharge is for %(expected)s fen, not %(given)s", field="amount_fen",
                       code="recharge.amount_differs", expected=recharge.amount_fen, given=amount_fen)
    lock_member(conn, recharge.member_id)
    recharge = recharge_row(conn, order_no)  # as committed by whoever held the lock before us
    if recharge.status == "cancelled":
        raise Conflict("the recharge was cancelled", field="order_no", code="recharge.cancelled")
    if recharge.status == "paid":
        if recharge.provider_txn_id != txn_id:
            raise Conflict("the recharge was already paid by another provider transaction", field="provider_txn_id",
                           code="recharge.paid_by_another_transaction")
        return Confirmed.stored(recharge.result)
    other = conn.execute(
        select(recharges.c.order_no).where(recharges.c.provider_txn_id == txn_id, recharges.c.order_no != order_no)
    ).first()
    if other is not None:
        raise Conflict("this provider transaction already paid another recharge", field="provider_txn_id",
                       code="recharge.transaction_reused")
    balance, rewards = _credit_wallet_then_run_recharge_campaigns(conn, ctx, recharge, now)
    result = Confirmed(order_no=order_no, status="paid", amount_fen=recharge.amount_fen, wallet_balance_fen=balance,
                       rewards=rewards)
    try:
        changed = conn.execute(
            update(recharges)
            .where(recharges.c.order_no == order_no, recharges.c.status == "pending")
            .values(status="paid", provider_txn_id=txn_id, paid_at=paid_at, confirmed_at=now, result=result.as_dict())
        ).rowcount
    except IntegrityError as exc:
        # provider_txn_id is UNIQUE: a parallel confirmation of ANOTHER recharge (under another member's
        # lock, so the check above could not see it) paid with this transaction first. The raise undoes
        # the credit with the rest of this transaction.
        raise Conflict("this provider transaction already paid another recharge", field="provider_txn_id",
                       code="recharge.transaction_reused") from exc
    if changed != 1:  # impossible while the member row is locked; the raise undoes the credit regardless
        raise Conflict("the recharge is no longer pending", field="order_no", code="recharge.no_longer_pending")
    return result


def _credit_wallet_then_run_recharge_campaigns(conn: Connection, ctx: Context, recharge, now: datetime) -> tuple[int, list[dict]]:
    """The one place a paid recharge takes effect, inside the confirming transaction, for the call that
    moves it from pending to paid (its guarded UPDATE follows in the same transaction): credit the
    wallet (ledger row kind 'recharge', ref the order_no), tell the member, then run the recharge
    campaigns (充值活动). Returns the balance after the credit and the rewards."""
    balance = post_entry(conn, member_id=recharge.member_id, amount_fen=recharge.amount_fen, kind="recharge",
                         ref=recharge.order_no, now=now)
    assert balance is not None  # a credit is never refused
    post_message(conn, ctx, member_id=recharge.member_id, type="recharge_credited", now=now,
                 data={"order_no": recharge.order_no, "amount_fen": recharge.amount_fen, "wallet_balance_fen": balance})
    # At most one package per campaign, as campaign_packages(trigger='recharge', ref=order_no).
    given = react(conn, ctx, RechargePaid(recharge.member_id, recharge.order_no, recharge.amount_fen, at=now))
    return balance, rewards(given)


def cancel_recharge(ctx: Context, *, order_no: str) -> Recharge:
    """Cancel a pending recharge (the payer gave up, or it timed out at the platform). Cancelling
    again returns it unchanged; a paid recharge cannot be cancelled (409) — refund the wallet instead.
    A WeChat Pay recharge is closed there first (services.wallet.wechat_pay)."""
    with ctx.db.read() as conn:
        row = recharge_row(conn, order_no)
    if row is not None and row.status == "pending" and row.provider == "wechat":
        from evperks.services.wallet.wechat_pay import close_at_provider  # noqa: PLC0415 - it imports this module

        close_at_provider(ctx, order_no)
    return mark_cancelled(ctx, order_no)


def mark_cancelled(ctx: Context, order_no: str) -> Recharge:
    """pending -> cancelled here (the provider, if any, has closed the order already)."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        changed = conn.execute(
            update(recharges)
            .where(recharges.c.order_no == order_no, recharges.c.status == "pending")
            .values(status="cancelled", cancelled_at=now)
        ).rowcount
        row = recharge_row(conn, order_no)
        if row is None:
            raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
        if not changed and row.status == "paid":
            raise Conflict("the recharge is paid; refund the wallet instead", field="order_no", code="recharge.already_paid")
    return recharge_view(row, provider=provider_for(ctx))


def list_member_recharges(ctx: Context, *, member_id: str, limit: int = 50, cursor: str | None = None) -> RechargePage:
    """充值详情: the member's recharges, newest first, each with the vouchers it brought."""
    order = [recharges.c.created_at, recharges.c.order_no]
    stmt = select(recharges).where(recharges.c.member_id == member_id)
    if cursor:
        stmt = stmt.where(after_desc(order, decode_cursor(cursor, (datetime, str))))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows = conn.execute(stmt.order_by(*(c.desc() for c in order)).limit(min(limit, MAX_LIMIT) + 1)).all()
        rows, next_cursor = page(rows, limit, lambda r: [r.created_at, r.order_no])
        brought = vouchers_by_recharge(conn, member_id, [r.order_no for r in rows])
    provider = provider_for(ctx)
    items = [recharge_view(r, provider=provider, vouchers=brought.get(r.order_no, [])) for r in rows]
    return RechargePage(items=items, next_cursor=next_cursor)


def recharge_view(row, *, provider: PaymentProvider | None, vouchers: list[RechargeVoucher] | None = None) -> Recharge:
    """A recharge row as answered; with ``vouchers`` (充值详情), the vouchers it brought. Pure: the
    provider (``provider_for``) only builds the pay URL of a pending recharge it started."""
    pay_url = None
    if row.status == "pending" and provider is not None and provider.name == row.provider:
        pay_url = provider.create_payment(order_no=row.order_no, member_id=row.member_id, amount_fen=row.amount_fen).pay_url
    fields = dict(
        order_no=row.order_no, member_id=row.member_id, amount_fen=row.amount_fen, status=row.status,
        provider=row.provider, provider_txn_id=row.provider_txn_id, pay_url=pay_url, created_at=row.created_at,
        paid_at=row.paid_at, confirmed_at=row.confirmed_at, cancelled_at=row.cancelled_at,
    )
    if vouchers is None:
        return Recharge(**fields)
    return RechargeDetail(**fields, vouchers=vouchers)
