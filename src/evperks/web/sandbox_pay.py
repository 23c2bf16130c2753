"""The sandbox payment provider's pay page: what a payer's browser shows instead of a wallet app.
Mounted only with EVPERKS_SANDBOX=1.

- ``GET /pay/sandbox/{order_no}``: 金额 in yuan and 确认支付; ``?next=/h5/...`` is where it returns after
  paying (only an H5 page).
- ``POST /pay/sandbox/{order_no}``: the page's form (an HMAC token for this order and amount); the
  sandbox "provider" then sends its signed notification, handled in-process exactly as
  ``POST /api/v1/payments/sandbox/notify`` handles it, and shows the result.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from evperks.api.deps import CtxDep
from evperks.api.errors import status_of
from evperks.api.params import PathId
from evperks.services import payments, wallet
from evperks.services.errors import NotFound, ServiceError
from evperks.services.payments import SandboxProvider
from evperks.web.i18n import locale_of
from evperks.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/pay/sandbox/{order_no}")
def pay_page(request: Request, order_no: PathId, ctx: CtxDep,
             next: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    try:
        recharge = wallet.get_recharge(ctx, order_no)
    except NotFound:
        return _page(request, "missing", status=404)
    token = None
    if recharge["status"] == "pending":
        token = SandboxProvider.for_context(ctx).form_token(order_no, recharge["amount_fen"])
    return _page(request, recharge["status"], recharge=recharge, token=token, next_path=_safe_next(next))


@router.post("/pay/sandbox/{order_no}")
def pay(request: Request, order_no: PathId, token: Annotated[str, Form(max_length=200)], ctx: CtxDep,
        next: Annotated[str | None, Form(max_length=200)] = None) -> Response:
    provider = SandboxProvider.for_context(ctx)
    try:
        recharge = wallet.get_recharge(ctx, order_no)
    except NotFound:
        return _page(request, "missing", status=404)
    if not provider.form_token_ok(token, order_no, recharge["amount_fen"]):
        return _page(request, "forged", recharge=recharge, status=403)
    headers, body = provider.notification(order_no=order_no, amount_fen=recharge["amount_fen"], paid_at=ctx.clock.now())
    try:
        payments.receive_notification(ctx, provider, headers, body)
    except ServiceError as exc:
        return _page(request, "failed", recharge=recharge, error=exc.detail, status=status_of(exc))
    return RedirectResponse(_safe_next(next) or f"/pay/sandbox/{order_no}", status_code=303)


def _safe_next(target: str | None) -> str | None:
    """Where to go after paying: only a page of the member H5, never another site."""
    if target and target.startswith("/h5/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _page(request: Request, state: str, *, status: int = 200, **context) -> HTMLResponse:
    """The pay page in one of its states: pending, paid, cancelled, missing, forged, failed."""
    return render(request, "h5/pay.html", locale=locale_of(request), status=status, state=state,
                  **{"recharge": None, "token": None, "next_path": None, "error": None, **context})
