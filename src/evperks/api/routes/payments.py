"""The sandbox payment provider over HTTP; mounted only with EVPERKS_SANDBOX=1.

- ``GET /pay/sandbox/{order_no}``: the pay page the payer's browser opens (金额 in yuan, 确认支付).
- ``POST /pay/sandbox/{order_no}``: the page's form (it carries an HMAC token for this order and
  amount); the sandbox "provider" then sends its signed notification, delivered in-process to the
  same handler as ``POST /api/v1/payments/sandbox/notify``, and shows the result.
- ``POST /api/v1/payments/sandbox/notify``: authenticated by its signature, not by an API key.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from evperks.api import schemas_wallet as sw
from evperks.api.deps import CtxDep
from evperks.api.errors import problem
from evperks.api.params import PathId
from evperks.api.responses import json_response
from evperks.domain.wallet import yuan
from evperks.services import payments, wallet
from evperks.services.errors import NotFound, ServiceError
from evperks.services.payments import NotificationRefused, SandboxProvider

router = APIRouter(tags=["payments (sandbox)"])


@router.post(
    "/api/v1/payments/sandbox/notify",
    response_model=sw.ConfirmOut,
    responses={401: {"description": "The signature is missing or wrong; nothing changed"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": sw.SandboxNotification.model_json_schema()}}}},
)
async def sandbox_notify(request: Request) -> Response:
    """A payment notification from the sandbox provider: verified by X-Sandbox-Signature, then the
    recharge is confirmed idempotently."""
    ctx = request.app.state.ctx
    body = await request.body()
    provider = SandboxProvider.from_settings(ctx.settings)
    try:
        result = await run_in_threadpool(payments.receive_notification, ctx, provider, dict(request.headers), body)
    except NotificationRefused as exc:
        return problem(request, 401, str(exc), [("X-Sandbox-Signature", "missing or wrong")])
    return json_response(result, zone=ctx.zone)


@router.get("/pay/sandbox/{order_no}", response_class=HTMLResponse, include_in_schema=False)
def pay_page(order_no: PathId, ctx: CtxDep) -> Response:
    try:
        recharge = wallet.get_recharge(ctx, order_no)
    except NotFound:
        return _page("订单不存在", "<p>找不到这个充值订单。</p>", status=404)
    amount = html.escape(yuan(recharge["amount_fen"]))
    head = f'<p class="amount">¥{amount}</p><p>充值订单 {html.escape(order_no)}</p>'
    if recharge["status"] == "paid":
        return _page("支付成功", head + "<p>已支付，金额已充入钱包。</p>")
    if recharge["status"] == "cancelled":
        return _page("订单已取消", head + "<p>这个充值订单已取消，不能支付。</p>")
    token = SandboxProvider.from_settings(ctx.settings).form_token(order_no, recharge["amount_fen"])
    form = (
        f'<form method="post" action="/pay/sandbox/{html.escape(order_no)}">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        '<button type="submit">确认支付</button></form>'
        "<p class=\"note\">沙箱支付：不会产生真实扣款。</p>"
    )
    return _page("确认支付", head + form)


@router.post("/pay/sandbox/{order_no}", include_in_schema=False)
def pay(order_no: PathId, token: Annotated[str, Form(max_length=200)], ctx: CtxDep) -> Response:
    provider = SandboxProvider.from_settings(ctx.settings)
    try:
        recharge = wallet.get_recharge(ctx, order_no)
    except NotFound:
        return _page("订单不存在", "<p>找不到这个充值订单。</p>", status=404)
    if not provider.form_token_ok(token, order_no, recharge["amount_fen"]):
        return _page("支付失败", "<p>支付请求无效，请从充值页面重新进入。</p>", status=403)
    headers, body = provider.notification(order_no=order_no, amount_fen=recharge["amount_fen"], paid_at=ctx.clock.now())
    try:
        payments.receive_notification(ctx, provider, headers, body)
    except ServiceError as exc:
        return _page("支付失败", f"<p>{html.escape(exc.detail)}</p>", status=exc.status)
    return RedirectResponse(f"/pay/sandbox/{order_no}", status_code=303)


def _page(title: str, content: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · 沙箱支付</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;text-align:center}}
.amount{{font-size:2.5rem;margin:1rem 0}}button{{font-size:1.2rem;padding:.8rem 3rem;background:#07c160;color:#fff;
border:0;border-radius:.4rem}}.note{{color:#888;font-size:.85rem}}</style></head>
<body><h1>{html.escape(title)}</h1>{content}</body></html>""",
        status_code=status,
    )
