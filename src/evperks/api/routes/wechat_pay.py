"""WeChat Pay's notifications (支付通知 and 退款通知); mounted with EVPERKS_PAYMENT_PROVIDER=wechat.

``POST /api/v1/payments/wechat/notify`` is authenticated by WeChat Pay's signature over the raw body,
not by an API key. Success is 204 (what WeChat Pay expects); anything else makes it send again later.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evperks.api.errors import problem
from evperks.services.context import Context
from evperks.services.errors import Reason
from evperks.services.payments import Notification, NotificationRefused, wechat_for
from evperks.services.wallet.provider_refunds import finish_refund
from evperks.services.wallet.recharges import confirm_recharge

router = APIRouter(tags=["payments (WeChat Pay)"])


@router.post(
    "/api/v1/payments/wechat/notify",
    status_code=204,
    responses={401: {"description": "Forged, tampered, outside the timestamp window or foreign; nothing changed"},
               409: {"description": "The amount differs from the order's, or the order was cancelled"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def wechat_notify(request: Request) -> Response:
    """A payment (TRANSACTION.SUCCESS) or refund (REFUND.*) notification: verified, decrypted, then
    applied once however often it arrives."""
    ctx = request.app.state.ctx
    body = await request.body()
    try:
        await run_in_threadpool(_apply, ctx, dict(request.headers), body)
    except NotificationRefused as exc:
        return problem(request, 401, str(exc), [Reason("Wechatpay-Signature", "payment.signature_invalid",
                                                       "missing, wrong or outside the window")], code="payment.signature_invalid")
    return Response(status_code=204)


def _apply(ctx: Context, headers: dict[str, str], body: bytes) -> None:
    event = wechat_for(ctx).read_notification(headers, body)
    if isinstance(event, Notification):
        confirm_recharge(ctx, order_no=event.order_no, provider_txn_id=event.provider_txn_id,
                         amount_fen=event.amount_fen, paid_at=min(event.paid_at, ctx.clock.now()))
    else:
        finish_refund(ctx, event)
