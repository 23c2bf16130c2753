"""Points mall (积分商城): admins keep the items; the platform lists what members can exchange now and
exchanges points for an item on a member's behalf."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from evperks.api import schemas_mall as s
from evperks.api.deps import CtxDep, require_admin, require_platform
from evperks.api.params import Cursor, IntId, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.api.schemas import ID_PATTERN
from evperks.domain.mall import ItemSpec
from evperks.domain.timecal import as_utc
from evperks.services import mall

router = APIRouter(prefix="/api/v1", tags=["points mall"], route_class=ApiRoute)
MemberQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)]


def _changes(body: s.MallItemIn | s.MallItemPatch, zone) -> dict:
    """The fields sent, as ItemSpec takes them (instants in UTC, the reward as (template_id, quantity))."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if changes.get("reward") is not None:
        changes["reward"] = tuple((line.template_id, line.quantity) for line in body.reward)
    for name in ("start_at", "end_at"):
        if changes.get(name) is not None:
            changes[name] = as_utc(changes[name], zone)
    return changes


@router.post("/admin/mall/items", status_code=201, response_model=s.MallItemOut, dependencies=[Depends(require_admin)])
def create_item(body: s.MallItemIn, ctx: CtxDep) -> Response:
    """上架: a new item (its reward's templates must exist and be enabled)."""
    spec = ItemSpec(**{**body.model_dump(), **_changes(body, ctx.zone)})
    return json_response(mall.create_item(ctx, spec, actor="api"), zone=ctx.zone, status=201)


@router.get("/admin/mall/items", response_model=s.MallItemPage, dependencies=[Depends(require_admin)])
def list_items(ctx: CtxDep, enabled: bool | None = None, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """Every item, newest first, with its stock left and exchanges."""
    return json_response(mall.list_items(ctx, enabled=enabled, limit=limit, cursor=cursor), zone=ctx.zone)


@router.get("/admin/mall/items/{item_id}", response_model=s.MallItemOut, dependencies=[Depends(require_admin)])
def get_item(item_id: IntId, ctx: CtxDep) -> Response:
    return json_response(mall.get_item(ctx, item_id), zone=ctx.zone)


@router.patch("/admin/mall/items/{item_id}", response_model=s.MallItemOut, dependencies=[Depends(require_admin)])
def patch_item(item_id: IntId, body: s.MallItemPatch, ctx: CtxDep) -> Response:
    """Change the fields sent; the stock may not fall below what was already exchanged."""
    return json_response(mall.update_item(ctx, item_id, _changes(body, ctx.zone), actor="api"), zone=ctx.zone)


@router.get("/mall/items", response_model=s.MallOfferPage, dependencies=[Depends(require_platform)])
def list_offers(ctx: CtxDep, member_id: MemberQuery = None, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """What members can exchange now (enabled, in its window, stock left); with ``member_id``, how often
    that member already exchanged each item."""
    return json_response(mall.list_offers(ctx, member_id=member_id, limit=limit, cursor=cursor), zone=ctx.zone)


@router.post(
    "/members/{member_id}/points/exchanges",
    status_code=201,
    response_model=s.ExchangeOut,
    responses={200: {"model": s.ExchangeOut, "description": "A repeat of the exchange_no: the first answer"},
               409: {"description": "No stock (mall.out_of_stock), the member's limit reached (mall.limit_reached), "
                                    "too few points (mall.points_not_enough), the item disabled or outside its "
                                    "window (mall.item_unavailable), or the exchange_no reused for other content"}},
    dependencies=[Depends(require_platform)],
)
def exchange(member_id: PathId, body: s.ExchangeIn, ctx: CtxDep) -> Response:
    """兑换: spend the item's points price and give its vouchers; a refusal changes nothing."""
    answer, created = mall.exchange(ctx, member_id=member_id, exchange_no=body.exchange_no, item_id=body.item_id)
    return json_response(answer, zone=ctx.zone, status=201 if created else 200)
