"""Recharges paid through WeChat Pay: starting the payment, asking WeChat Pay when a notification is
late (on the member's return and in the ``wechat_sync`` job), and closing what was never paid.

Whatever tells evperks a recharge was paid — the notification, the query on return, the job — ends in
``confirm_recharge``, which credits once per order_no and refuses an amount other than the order's.
An unpaid recharge is closed at WeChat Pay first and cancelled here only then: once closed there it
cannot be paid, so a cancelled recharge never has money behind it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from evperks.db.tables import members
from evperks.db.tables_wallet import recharges
from evperks.services.context import Context
from evperks.services.errors import Conflict, NotFound, Unavailable
from evperks.services.payments import wechat_for
from evperks.services.payments.wechat import TradeState, WechatPayError
from evperks.services.wallet.recharges import confirm_recharge, get_recharge, mark_cancelled
from evperks.services.wallet.results import H5Payment, JsapiPayment, RechargeDetail, RechargeSweep

log = logging.getLogger("evperks.payments.wechat")
DESCRIPTION = "钱包充值"
SWEEP_BATCH = 200


def start_payment(ctx: Context, *, order_no: str, member_id: str, in_wechat: bool,
                  client_ip: str) -> JsapiPayment | H5Payment:
    """Prepay the member's pending WeChat Pay recharge: JSAPI parameters inside WeChat when the platform
    set the member's openid, else an H5 address. 404 for another member's order, 409 when
    it is no longer pending, 503 when WeChat Pay cannot be reached or refuses."""
    with ctx.db.read() as conn:
        row = conn.execute(select(recharges).where(recharges.c.order_no == order_no,
                                                   recharges.c.member_id == member_id)).first()
        openid = conn.execute(select(members.c.wechat_openid).where(members.c.id == member_id)).scalar()
    if row is None or row.provider != "wechat":
        raise NotFound("recharge %(order_no)r does not exist", code="recharge.not_found", order_no=order_no)
    if row.status != "pending":
        raise Conflict("the recharge is %(status)s", field="order_no", code="recharge.not_pending", status=row.status)
    expire_at = row.created_at + timedelta(minutes=ctx.settings.wechat_close_after_minutes)
    provider = wechat_for(ctx)
    try:
        if in_wechat and openid:
            return JsapiPayment(amount_fen=row.amount_fen,
                                jsapi=provider.jsapi(order_no=order_no, amount_fen=row.amount_fen, openid=openid,
                                                     expire_at=expire_at, description=DESCRIPTION).as_dict())
        return H5Payment(amount_fen=row.amount_fen,
                         h5_url=provider.h5(order_no=order_no, amount_fen=row.amount_fen, client_ip=client_ip,
                                            expire_at=expire_at, description=DESCRIPTION))
    except WechatPayError as exc:
        log.warning("prepaying %s failed: %s", order_no, exc)
        raise _unavailable(exc) from exc


def sync_recharge(ctx: Context, order_no: str) -> RechargeDetail:
    """Ask WeChat Pay about a pending recharge and confirm it when it was paid (the member came back
    before the notification did); the recharge as it is afterwards. A failed query, or a payment
    refused (another amount), changes nothing and is logged."""
    recharge = get_recharge(ctx, order_no)
    if recharge.status == "pending" and recharge.provider == "wechat":
        try:
            _confirm_if_paid(ctx, wechat_for(ctx).query(order_no))
        except WechatPayError as exc:
            log.warning("querying %s failed: %s", order_no, exc)
        except Conflict as exc:  # paid, but not as ordered (another amount): an operator must look
            log.error("recharge %s was paid at WeChat Pay but is refused: %s", order_no, exc.detail)
        recharge = get_recharge(ctx, order_no)
    return recharge


def close_at_provider(ctx: Context, order_no: str) -> None:
    """Before a pending WeChat Pay recharge is cancelled: confirm it if it was paid after all (then 409,
    it is paid), otherwise close it at WeChat Pay (503 when that fails: it stays pending)."""
    provider = wechat_for(ctx)
    try:
        state = provider.query(order_no)
        if _confirm_if_paid(ctx, state):
            raise Conflict("the recharge was paid at WeChat Pay; refund the wallet instead", field="order_no",
                           code="recharge.paid_at_provider")
        if state.state != "NOT_FOUND":  # never prepaid: nothing to close there
            provider.close(order_no)
    except WechatPayError as exc:
        raise _unavailable(exc) from exc


def sweep_recharges(ctx: Context) -> RechargeSweep:
    """The ``wechat_sync`` job: query each WeChat Pay recharge pending longer than
    EVPERKS_WECHAT_QUERY_AFTER_MINUTES and confirm the paid ones; close and cancel the ones pending
    longer than EVPERKS_WECHAT_CLOSE_AFTER_MINUTES. One failure is logged and retried next run."""
    now = ctx.clock.now()
    query_before = now - timedelta(minutes=ctx.settings.wechat_query_after_minutes)
    close_before = now - timedelta(minutes=ctx.settings.wechat_close_after_minutes)
    with ctx.db.read() as conn:
        due = conn.execute(
            select(recharges.c.order_no, recharges.c.created_at)
            .where(recharges.c.status == "pending", recharges.c.provider == "wechat",
                   recharges.c.created_at <= query_before)
            .order_by(recharges.c.created_at).limit(SWEEP_BATCH)
        ).all()
    provider = wechat_for(ctx)
    counts = dict.fromkeys(("queried", "paid", "closed", "failed"), 0)
    for order_no, created_at in due:
        try:
            state = provider.query(order_no)
            counts["queried"] += 1
            if _confirm_if_paid(ctx, state):
                counts["paid"] += 1
                continue
            if created_at <= close_before:
                if state.state != "NOT_FOUND":
                    provider.close(order_no)
                mark_cancelled(ctx, order_no)
                counts["closed"] += 1
        except (WechatPayError, Conflict) as exc:
            log.warning("syncing recharge %s with WeChat Pay failed: %s", order_no, exc)
            counts["failed"] += 1
    return RechargeSweep(**counts)


def _confirm_if_paid(ctx: Context, state: TradeState) -> bool:
    if state.paid is None:
        return False
    paid = state.paid
    confirm_recharge(ctx, order_no=paid.order_no, provider_txn_id=paid.provider_txn_id, amount_fen=paid.amount_fen,
                     paid_at=min(paid.paid_at, ctx.clock.now()))
    return True


def _unavailable(exc: WechatPayError) -> Unavailable:
    return Unavailable("WeChat Pay: %(error)s", code="wechat_pay.failed", error=str(exc))
