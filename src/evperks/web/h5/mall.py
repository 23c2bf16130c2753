"""积分商城 (H5): the member's points, the items they can exchange now, and the exchange itself behind a
confirmation page. A refusal (库存不足, 已达兑换上限, 积分不足) is said on that page in the member's words."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from evperks.api.errors import status_of
from evperks.api.schemas import ID_PATTERN
from evperks.services import mall
from evperks.services.errors import Conflict, NotFound
from evperks.web import refusals
from evperks.web.h5.session import H5Route, Member, MemberDep, check_form, page
from evperks.web.i18n import locale_of, translations

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)
ItemId = Annotated[int, Path(ge=1, le=2**62)]
MALL = "/h5/mall"


@router.get("/mall")
def mall_page(request: Request, member: MemberDep,
              exchanged: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None) -> Response:
    ctx = request.app.state.ctx
    offers = mall.list_offers(ctx, member_id=member.id, limit=100)
    return page(request, member, "h5/mall.html", tab="me", offers=offers.items, exchanged=exchanged,
                points=mall.points_available(ctx, member.id))


@router.get("/mall/{item_id}")
def confirm_page(request: Request, member: MemberDep, item_id: ItemId) -> Response:
    return _confirm(request, member, item_id)


@router.post("/mall/{item_id}")
def exchange(request: Request, member: MemberDep, item_id: ItemId,
             csrf_token: Annotated[str, Form(max_length=200)] = "",
             exchange_no: Annotated[str, Form(max_length=64, pattern=ID_PATTERN)] = "") -> Response:
    """确认兑换: the page's exchange_no makes a double tap one exchange."""
    check_form(request, member, csrf_token)
    ctx = request.app.state.ctx
    try:
        done, _ = mall.exchange(ctx, member_id=member.id, exchange_no=exchange_no or _exchange_no(), item_id=item_id)
    except NotFound:
        return RedirectResponse(MALL, status_code=303)
    except Conflict as exc:
        reason = exc.errors[0] if exc.errors else None
        said = refusals.say(reason, translations(locale_of(request)).gettext) if reason else exc.detail
        return _confirm(request, member, item_id, refusal=said, status=status_of(exc))
    return RedirectResponse(f"{MALL}?exchanged={done.exchange_no}", status_code=303)


def _confirm(request: Request, member: Member, item_id: int, *, refusal: str | None = None,
             status: int = 200) -> Response:
    ctx = request.app.state.ctx
    try:
        offer = mall.get_offer(ctx, item_id, member_id=member.id)
    except NotFound:  # unknown or off sale: back to the list (H5Route would take a NotFound for a lost session)
        return RedirectResponse(MALL, status_code=303)
    return page(request, member, "h5/mall_confirm.html", tab="me", status=status, offer=offer, refusal=refusal,
                points=mall.points_available(ctx, member.id), exchange_no=_exchange_no())


def _exchange_no() -> str:
    return "H5X" + secrets.token_hex(10).upper()
