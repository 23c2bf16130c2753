"""Stored value (储值): recharges and wallet views for the platform, settings and refunds for admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas_wallet as sw
from evperks.api.deps import CtxDep, require_admin, require_platform
from evperks.api.params import Cursor, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.domain.timecal import as_utc
from evperks.services import wallet
from evperks.services.errors import Invalid
from evperks.services.wallet.provider_refunds import refund_through_provider

platform_router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(require_platform)], tags=["stored value"], route_class=ApiRoute,
)
admin_router = APIRouter(
    prefix="/api/v1/admin", dependencies=[Depends(require_admin)], tags=["admin"], route_class=ApiRoute,
)


@platform_router.post(
    "/recharges", status_code=201, response_model=sw.RechargeOut,
    responses={200: {"model": sw.RechargeOut, "description": "The same order_no and content again"}},
)
def create_recharge(body: sw.RechargeIn, ctx: CtxDep) -> Response:
    """A pending recharge; the amount must be offered by the stored-value settings (422 otherwise)."""
    recharge, created = wallet.create_recharge(ctx, order_no=body.order_no, member_id=body.member_id,
                                               amount_fen=body.amount_fen)
    return json_response(recharge, zone=ctx.zone, status=201 if created else 200)


@platform_router.get("/recharges/{order_no}", response_model=sw.RechargeOut)
def get_recharge(order_no: PathId, ctx: CtxDep) -> Response:
    return json_response(wallet.get_recharge(ctx, order_no), zone=ctx.zone)


@platform_router.post("/recharges/{order_no}/confirm", response_model=sw.ConfirmOut)
def confirm_recharge(order_no: PathId, body: sw.ConfirmIn, ctx: CtxDep) -> Response:
    """Payment confirmed: credits the wallet exactly once and runs recharge campaigns; repeats return
    the first answer."""
    paid_at = as_utc(body.paid_at, ctx.zone) if body.paid_at else None
    result = wallet.confirm_recharge(
        ctx, order_no=order_no, provider_txn_id=body.provider_txn_id, amount_fen=body.amount_fen, paid_at=paid_at,
    )
    return json_response(result, zone=ctx.zone)


@platform_router.post("/recharges/{order_no}/cancel", response_model=sw.RechargeOut)
def cancel_recharge(order_no: PathId, ctx: CtxDep) -> Response:
    """Cancel a pending recharge; again is a no-op; a paid one is 409."""
    return json_response(wallet.cancel_recharge(ctx, order_no=order_no), zone=ctx.zone)


@platform_router.get("/members/{member_id}/recharges", response_model=sw.RechargePage)
def list_member_recharges(member_id: PathId, ctx: CtxDep, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """充值详情: the member's recharges, newest first, with the vouchers each brought."""
    result = wallet.list_member_recharges(ctx, member_id=member_id, limit=limit, cursor=cursor)
    return json_response(result, zone=ctx.zone)


@platform_router.get("/members/{member_id}/wallet/ledger", response_model=sw.LedgerPage)
def wallet_ledger(member_id: PathId, ctx: CtxDep, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """Every change of the member's wallet, newest first, with the balance after it."""
    return json_response(wallet.member_ledger(ctx, member_id=member_id, limit=limit, cursor=cursor), zone=ctx.zone)


@admin_router.get("/stored-value/settings", response_model=sw.StoredValueSettingsOut)
def get_stored_value_settings(ctx: CtxDep) -> Response:
    return json_response(wallet.get_settings(ctx), zone=ctx.zone)


@admin_router.put("/stored-value/settings", response_model=sw.StoredValueSettingsOut)
def put_stored_value_settings(body: sw.StoredValueSettingsIn, ctx: CtxDep) -> Response:
    """最低充值金额, 固定面额, whether custom amounts are allowed, 启动充电最低余额 and hold_hours."""
    saved = wallet.put_settings(ctx, min_recharge_fen=body.min_recharge_fen, denominations_fen=body.denominations_fen,
                                allow_custom_amount=body.allow_custom_amount,
                                min_start_balance_fen=body.min_start_balance_fen, hold_hours=body.hold_hours, actor="api")
    return json_response(saved, zone=ctx.zone)


@admin_router.post(
    "/members/{member_id}/wallet/refund", status_code=201, response_model=sw.RefundOut,
    responses={200: {"model": sw.RefundOut, "description": "The same refund_no again"}},
)
def refund_wallet(member_id: PathId, body: sw.RefundIn, ctx: CtxDep) -> Response:
    """Refund unused balance with a reason, outside evperks or through WeChat Pay; more than the balance is 409."""
    via = body.via or ("wechat" if ctx.settings.effective_payment_provider == "wechat" else "outside")
    if via == "wechat":
        if not ctx.settings.wechat_pay_enabled:
            raise Invalid("WeChat Pay is not configured here", field="via", code="wechat_pay.not_configured")
        if not body.refund_no:
            raise Invalid("is required for a refund through WeChat Pay", field="refund_no", code="refund.refund_no_required")
        refund, created = refund_through_provider(ctx, member_id=member_id, amount_fen=body.amount_fen,
                                                  reason=body.reason, refund_no=body.refund_no, order_no=body.order_no,
                                                  created_by="api")
    else:
        if body.order_no:
            raise Invalid("only refunds through WeChat Pay name a recharge", field="order_no", code="refund.order_no_not_expected")
        refund, created = wallet.refund_wallet(ctx, member_id=member_id, amount_fen=body.amount_fen, reason=body.reason,
                                               refund_no=body.refund_no, created_by="api")
    return json_response(refund, zone=ctx.zone, status=201 if created else 200)
