"""充值, 充值详情 and 余额明细: a recharge order paid through the payment provider (the sandbox page in
sandbox mode; WeChat Pay: JSAPI inside WeChat, H5 payment outside), the member's recharges with the
vouchers each one brought, and every change of the balance with its order or recharge."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from evperks.api.errors import status_of
from evperks.domain.units import MAX_FEN
from evperks.services import h5_views, members, payments, wallet
from evperks.services.errors import Conflict, Invalid, NotFound, ServiceError, Unavailable
from evperks.services.settlement.orders import member_refunds
from evperks.services.wallet import wechat_pay as wechat_pay_service
from evperks.web import refusals
from evperks.web.forms import yuan_to_fen
from evperks.web.h5.session import H5Route, MemberDep, check_form, page
from evperks.web.i18n import locale_of, translations

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)
RECHARGES = "/h5/recharges"


def _form(request: Request, member, *, amount: str = "", custom: str = "", error: str | None = None,
          status: int = 200) -> Response:
    ctx = request.app.state.ctx
    return page(request, member, "h5/recharge.html", tab="me", status=status, rules=wallet.get_settings(ctx),
                online=payments.provider_for(ctx) is not None, amount=amount, custom=custom, error=error)


@router.get("/recharge")
def recharge_form(request: Request, member: MemberDep) -> Response:
    return _form(request, member)


@router.post("/recharge")
def recharge(
    request: Request,
    member: MemberDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    custom: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create the recharge order and send the member to the provider's pay page, which returns to 充值详情."""
    check_form(request, member, csrf_token)
    ctx = request.app.state.ctx
    try:
        fen = yuan_to_fen(custom, "amount", positive=True) if custom.strip() else _denomination(amount)
        order_no = "H5" + secrets.token_hex(10).upper()
        created, _ = wallet.create_recharge(ctx, order_no=order_no, member_id=member.id, amount_fen=fen)
    except ServiceError as exc:
        rules = wallet.get_settings(ctx)
        amount_refused = exc.errors and exc.errors[0].field == "amount"
        message = refusals.say(exc.errors[0], translations(locale_of(request)).gettext) if amount_refused else _refusal(rules)
        return _form(request, member, amount=amount, custom=custom, error=message, status=status_of(exc))
    if not created["pay_url"]:  # no online provider: the platform collects recharges itself
        return RedirectResponse(RECHARGES, status_code=303)
    return RedirectResponse(f"{created['pay_url']}?{urlencode({'next': RECHARGES})}", status_code=303)


def _denomination(amount: str) -> int:
    if not (amount.isascii() and amount.isdigit()) or int(amount) > MAX_FEN:  # "²" is a digit to isdigit
        raise Invalid("Choose an amount", field="amount", code="wallet.amount_not_chosen")
    return int(amount)


def _refusal(rules: dict) -> str:
    """The service's refusal of an amount, as the member reads it."""
    return "custom_minimum" if rules["allow_custom_amount"] else "denominations_only"


@router.get("/recharges")
def recharges(request: Request, member: MemberDep, cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    ctx = request.app.state.ctx
    found = wallet.list_member_recharges(ctx, member_id=member.id, limit=20, cursor=cursor or None)
    campaign_ids = {v["campaign_id"] for r in found["items"] for v in r["vouchers"]}
    names = h5_views.names(ctx, station_ids=set(), campaign_ids=campaign_ids)
    shown = members.get_member(ctx, member.id)
    balance = shown["wallet_balance_fen"]
    refunds = member_refunds(ctx, member_id=member.id) if not cursor else []
    return page(request, member, "h5/recharges.html", tab="me", found=found, names=names, balance=balance,
                held=balance - shown["wallet_available_fen"], refunds=refunds)


@router.get("/balance")
def balance_details(request: Request, member: MemberDep,
                    cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    """余额明细: every wallet ledger row, newest first: recharges, payments of charge orders, refunds."""
    ctx = request.app.state.ctx
    found = wallet.member_ledger(ctx, member_id=member.id, limit=20, cursor=cursor or None)
    shown = members.get_member(ctx, member.id)
    return page(request, member, "h5/balance.html", tab="me", found=found, balance=shown["wallet_balance_fen"],
                held=shown["wallet_balance_fen"] - shown["wallet_available_fen"])


@router.get("/recharges/{order_no}/pay")
def wechat_pay(request: Request, member: MemberDep, order_no: Annotated[str, Path(max_length=64)]) -> Response:
    """WeChat Pay's pay page: JSAPI (WeixinJSBridge) inside WeChat when the platform set the member's
    openid; otherwise WeChat's H5 payment page, which comes back to the return page."""
    ctx = request.app.state.ctx
    in_wechat = "MicroMessenger" in request.headers.get("user-agent", "")
    client_ip = request.client.host if request.client else "127.0.0.1"
    try:
        started = wechat_pay_service.start_payment(ctx, order_no=order_no, member_id=member.id, in_wechat=in_wechat,
                                                   client_ip=client_ip)
    except (NotFound, Conflict):  # another member's order, or one already paid or cancelled
        return RedirectResponse(RECHARGES, status_code=303)
    except Unavailable:
        return page(request, member, "h5/wechat_pay.html", tab="me", status=503, unavailable=True)
    return_url = f"{ctx.settings.public_base_url.rstrip('/')}/h5/recharges/{quote(order_no)}/return"
    if "h5_url" in started:
        joiner = "&" if "?" in started["h5_url"] else "?"
        return RedirectResponse(f"{started['h5_url']}{joiner}{urlencode({'redirect_url': return_url})}", status_code=303)
    return page(request, member, "h5/wechat_pay.html", tab="me", params=started["jsapi"], return_url=return_url,
                amount_fen=started["amount_fen"])


@router.get("/recharges/{order_no}/return")
def wechat_return(request: Request, member: MemberDep, order_no: Annotated[str, Path(max_length=64)]) -> Response:
    """Back from paying: ask WeChat Pay about the order (its notification may still be on its way)."""
    ctx = request.app.state.ctx
    try:
        recharge = wallet.get_recharge(ctx, order_no)
    except NotFound:
        recharge = None
    if recharge is not None and recharge["member_id"] == member.id:
        wechat_pay_service.sync_recharge(ctx, order_no)
    return RedirectResponse(RECHARGES, status_code=303)
