"""个人中心 → 代金券: tabs 可用 / 已使用 / 已过期 / 已作废."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evperks.domain.vouchers import VoucherStatus
from evperks.services import h5_views, vouchers
from evperks.web.h5.session import H5Route, MemberDep, page

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)
PAGE_SIZE = 20
Cursor = Annotated[str | None, Query(max_length=500)]


@router.get("/vouchers")
def voucher_list(request: Request, member: MemberDep, tab: VoucherStatus = VoucherStatus.AVAILABLE,
                 cursor: Cursor = None) -> Response:
    ctx = request.app.state.ctx
    found = vouchers.list_member_vouchers(ctx, member_id=member.id, status=tab, limit=PAGE_SIZE, cursor=cursor or None)
    items = found["items"]
    names = h5_views.names(ctx, station_ids={s for v in items for s in v["station_ids"]},
                           campaign_ids={v["source"]["campaign_id"] for v in items if "campaign_id" in v["source"]})
    used_at = h5_views.used_at(ctx, member.id, {v["id"] for v in items if v["used_order_no"]})
    return page(request, member, "h5/vouchers.html", tab="me", current=tab.value, items=items, names=names,
                used_at=used_at, next_cursor=found["next_cursor"])
