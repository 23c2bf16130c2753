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

from evperks.db.tables import members, vouchers
from evperks.db.tables_campaigns import campaign_packages
from evperks.db.tables_wallet import recharges
from evperks.db.upsert import insert_for
from evperks.domain.wallet import recharge_refusal
from evperks.services.campaigns.triggers import on_recharge_paid
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.lookups import lock_member, require_member
from evperks.services.messages import post_message
from evperks.services.pagination import MAX_LIMIT, after_desc, decode_cursor, page
from evperks.services.payments import provider_for
from evperks.services.wallet.ledger import post_entry
from evperks.services.wallet.settings import read_rules


def create_recharge(ctx: Context, *, order_no: str, member_id: str, amount_fen: int) -> tuple[dict, bool]:
    """A pending recharge, and whether this call created it. The same order_no with the same content
    returns it (False); with different content it is 409."""
    now = ctx.clock.now()
    provider = provider_for(ctx)
    with ctx.db.write() as conn:
        existing = _row(conn, order_no)
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
                return recharge_out(ctx, _row(conn, order_no)), True
            existing = _row(conn, order_no)  # a parallel request with this order_no committed first
        if (existing.member_id, existing.amount_fen) != (member_id, amount_fen):
            raise Conflict("this order_no was already used with different content", field="order_no",
                           code="recharge.order_no_reused")
        return recharge_out(ctx, existing), False


def get_recharge(ctx: Context, order_no: str) -> dict:
    with ctx.db.read() as conn:
        row = _row(conn, order_no)
        if row is None:
            raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
        return recharge_out(ctx, row, vouchers=_vouchers_by_recharge(conn, row.member_id, [order_no]).get(order_no, []))


def confirm_recharge(
    ctx: Context,
    *,
    order_no: str,
    provider_txn_id: str,
    amount_fen: int | None = None,
    paid_at: datetime | None = None,
) -> dict:
    """Credit the wallet for a paid recharge, exactly once: ``{order_no, status, amount_fen,
    wallet_balance_fen, rewards}``. Repeats return the first answer. Unknown order 404; an amount that
    differs, a cancelled order, a transaction id used for another recharge, or an order already paid
    by another transaction 409."""
    now = ctx.clock.now()
    if paid_at is not None and paid_at > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="paid_at", code="time.in_future")
    try:
        with ctx.db.write() as conn:
            return _confirm(conn, ctx, order_no, provider_txn_id, amount_fen, paid_at or now, now)
    except IntegrityError:
        # Only a parallel confirmation of ANOTHER recharge with the same provider_txn_id gets here (it
        # holds another member's lock): run again, and the check below reports the clash as a 409.
        with ctx.db.write() as conn:
            return _confirm(conn, ctx, order_no, provider_txn_id, amount_fen, paid_at or now, now)


def _confirm(conn: Connection, ctx: Context, order_no: str, txn_id: str, amount_fen: int | None,
             paid_at: datetime, now: datetime) -> dict:
    recharge = _row(conn, order_no)
    if recharge is None:
        raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
    if amount_fen is not None and amount_fen != recharge.amount_fen:
        raise Conflict("the recharge is for %(expected)s fen, not %(given)s", field="amount_fen",
                       code="recharge.amount_differs", expected=recharge.amount_fen, given=amount_fen)
    lock_member(conn, recharge.member_id)
    recharge = _row(conn, order_no)  # as committed by whoever held the lock before us
    if recharge.status == "cancelled":
        raise Conflict("the recharge was cancelled", field="order_no", code="recharge.cancelled")
    if recharge.status == "paid":
        if recharge.provider_txn_id != txn_id:
            raise Conflict("the recharge was already paid by another provider transaction", field="provider_txn_id",
                           code="recharge.paid_by_another_transaction")
        return recharge.result
    other = conn.execute(
        select(recharges.c.order_no).where(recharges.c.provider_txn_id == txn_id, recharges.c.order_no != order_no)
    ).first()
    if other is not None:
        raise Conflict("this provider transaction already paid another recharge", field="provider_txn_id",
                       code="recharge.transaction_reused")
    balance, rewards = _credit_wallet_then_run_recharge_campaigns(conn, ctx, recharge, now)
    result = {"order_no": order_no, "status": "paid", "amount_fen": recharge.amount_fen,
              "wallet_balance_fen": balance, "rewards": rewards}
    changed = conn.execute(
        update(recharges)
        .where(recharges.c.order_no == order_no, recharges.c.status == "pending")
        .values(status="paid", provider_txn_id=txn_id, paid_at=paid_at, confirmed_at=now, result=result)
    ).rowcount
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
    rewards = on_recharge_paid(conn, ctx, member_id=recharge.member_id, order_no=recharge.order_no,
                               amount_fen=recharge.amount_fen, now=now)
    return balance, rewards


def cancel_recharge(ctx: Context, *, order_no: str) -> dict:
    """Cancel a pending recharge (the payer gave up, or it timed out at the platform). Cancelling
    again returns it unchanged; a paid recharge cannot be cancelled (409) — refund the wallet instead.
    A WeChat Pay recharge is closed there first (services.wallet.wechat_pay)."""
    with ctx.db.read() as conn:
        row = _row(conn, order_no)
    if row is not None and row.status == "pending" and row.provider == "wechat":
        from evperks.services.wallet.wechat_pay import close_at_provider  # noqa: PLC0415 - it imports this module

        close_at_provider(ctx, order_no)
    return mark_cancelled(ctx, order_no)


def mark_cancelled(ctx: Context, order_no: str) -> dict:
    """pending -> cancelled here (the provider, if any, has closed the order already)."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        changed = conn.execute(
            update(recharges)
            .where(recharges.c.order_no == order_no, recharges.c.status == "pending")
            .values(status="cancelled", cancelled_at=now)
        ).rowcount
        row = _row(conn, order_no)
        if row is None:
            raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
        if not changed and row.status == "paid":
            raise Conflict("the recharge is paid; refund the wallet instead", field="order_no", code="recharge.already_paid")
        return recharge_out(ctx, row)


def list_member_recharges(ctx: Context, *, member_id: str, limit: int = 50, cursor: str | None = None) -> dict:
    """充值详情: the member's recharges, newest first, each with the vouchers it brought."""
    order = [recharges.c.created_at, recharges.c.order_no]
    stmt = select(recharges).where(recharges.c.member_id == member_id)
    if cursor:
        stmt = stmt.where(after_desc(order, decode_cursor(cursor, (datetime, str))))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows = conn.execute(stmt.order_by(*(c.desc() for c in order)).limit(min(limit, MAX_LIMIT) + 1)).all()
        rows, next_cursor = page(rows, limit, lambda r: [r.created_at, r.order_no])
        brought = _vouchers_by_recharge(conn, member_id, [r.order_no for r in rows])
    items = [recharge_out(ctx, r, vouchers=brought.get(r.order_no, [])) for r in rows]
    return {"items": items, "next_cursor": next_cursor}


def _vouchers_by_recharge(conn: Connection, member_id: str, order_nos: list[str]) -> dict[str, list[dict]]:
    """The vouchers of the campaign packages each recharge brought (trigger 'recharge', ref order_no)."""
    if not order_nos:
        return {}
    p, v = campaign_packages.c, vouchers.c
    rows = conn.execute(
        select(p.ref, v.id, v.name, v.face_value_fen, v.deduction_type, v.status, v.valid_until, p.campaign_id)
        .select_from(campaign_packages.join(vouchers, v.package_id == p.id))
        .where(p.trigger == "recharge", p.member_id == member_id, p.ref.in_(order_nos))
        .order_by(p.ref, v.id)
    )
    found: dict[str, list[dict]] = {}
    for r in rows:
        found.setdefault(r.ref, []).append({
            "id": r.id, "campaign_id": r.campaign_id, "name": r.name, "face_value_fen": r.face_value_fen,
            "deduction_type": r.deduction_type, "status": r.status, "valid_until": r.valid_until,
        })
    return found


def recharge_out(ctx: Context, row, *, vouchers: list[dict] | None = None) -> dict:
    provider = provider_for(ctx)
    pay_url = None
    if row.status == "pending" and provider is not None and provider.name == row.provider:
        pay_url = provider.create_payment(order_no=row.order_no, member_id=row.member_id, amount_fen=row.amount_fen).pay_url
    body = {
        "order_no": row.order_no,
        "member_id": row.member_id,
        "amount_fen": row.amount_fen,
        "status": row.status,
        "provider": row.provider,
        "provider_txn_id": row.provider_txn_id,
        "pay_url": pay_url,
        "created_at": row.created_at,
        "paid_at": row.paid_at,
        "confirmed_at": row.confirmed_at,
        "cancelled_at": row.cancelled_at,
    }
    if vouchers is not None:
        body["vouchers"] = vouchers
    return body


def _row(conn: Connection, order_no: str):
    return conn.execute(select(recharges).where(recharges.c.order_no == order_no)).first()
