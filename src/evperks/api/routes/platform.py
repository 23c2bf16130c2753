"""Calls from the charging platform (role platform)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas
from evperks.api.deps import CtxDep, require_platform
from evperks.api.metrics import SETTLEMENTS
from evperks.api.params import Cursor, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.domain.timecal import as_utc
from evperks.domain.units import InvalidEnergy, kwh_to_wh
from evperks.domain.vouchers import VoucherStatus
from evperks.services import members, stations, vouchers
from evperks.services.errors import Invalid
from evperks.services.settlement import ChargeOrder, get_order, quote, refunds, settle

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_platform)], route_class=ApiRoute)


@router.put("/stations/{station_id}", response_model=schemas.StationOut, tags=["stations"],
            responses={201: {"model": schemas.StationOut, "description": "Created"}})
def put_station(station_id: PathId, body: schemas.StationIn, ctx: CtxDep) -> Response:
    """Create or update a station (201 when created)."""
    station, created = stations.upsert_station(ctx, station_id=station_id, name=body.name, city=body.city, actor="api")
    return json_response(station, zone=ctx.zone, status=201 if created else 200)


@router.get("/stations", response_model=schemas.StationPage, tags=["stations"])
def list_stations(ctx: CtxDep, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """Every station, in id order."""
    return json_response(stations.list_stations(ctx, limit=limit, cursor=cursor), zone=ctx.zone)


@router.get("/stations/{station_id}", response_model=schemas.StationOut, tags=["stations"])
def get_station(station_id: PathId, ctx: CtxDep) -> Response:
    return json_response(stations.require_station(ctx, station_id), zone=ctx.zone)


@router.post("/members", status_code=201, response_model=schemas.MemberOut, tags=["members"])
def register_member(body: schemas.MemberIn, ctx: CtxDep) -> Response:
    """Register a member; runs registration and referral rules. A known phone is 409."""
    member = members.register_member(
        ctx,
        phone=body.phone,
        member_id=body.id,
        nickname=body.nickname,
        channel=body.channel,
        invite_code=body.invite_code,
        registered_at=as_utc(body.registered_at, ctx.zone) if body.registered_at else None,
        tags=tuple(body.tags),
    )
    return json_response(member, zone=ctx.zone, status=201)


@router.get("/members/{member_id}", response_model=schemas.MemberOut, tags=["members"])
def get_member(member_id: PathId, ctx: CtxDep) -> Response:
    """A member with wallet and points balances."""
    return json_response(members.get_member(ctx, member_id), zone=ctx.zone)


@router.patch("/members/{member_id}", response_model=schemas.MemberOut, tags=["members"])
def update_member(member_id: PathId, body: schemas.MemberPatch, ctx: CtxDep) -> Response:
    """Change phone, nickname, tags or wechat_openid (only the fields sent); a phone or openid another
    member has is 409."""
    member = members.update_member(ctx, member_id, body.model_dump(include=body.model_fields_set), actor="api")
    return json_response(member, zone=ctx.zone)


@router.get("/members/{member_id}/vouchers", response_model=schemas.VoucherPage, tags=["vouchers"])
def list_member_vouchers(
    member_id: PathId, ctx: CtxDep, status: VoucherStatus | None = None, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """The member's vouchers, newest first, optionally of one status."""
    result = vouchers.list_member_vouchers(ctx, member_id=member_id, status=status, limit=limit, cursor=cursor)
    return json_response(result, zone=ctx.zone)


@router.post("/charge-orders/quote", response_model=schemas.SettlementOut, tags=["settlement"])
def quote_charge_order(body: schemas.QuoteIn, ctx: CtxDep) -> Response:
    """The breakdown settling this order would give now; commits nothing."""
    return json_response(quote(ctx, _order(body, ctx)), zone=ctx.zone)


@router.post(
    "/charge-orders",
    status_code=201,
    response_model=schemas.SettlementOut,
    responses={200: {"model": schemas.SettlementOut, "description": "A replay: the first settlement's body"}},
    tags=["settlement"],
)
def settle_charge_order(body: schemas.ChargeOrderIn, ctx: CtxDep) -> Response:
    """Settle a finished charge order. The same order_no again returns the first body (200)."""
    result, created = settle(ctx, _order(body, ctx))
    SETTLEMENTS.labels("created" if created else "replayed").inc()
    return json_response(result, zone=ctx.zone, status=201 if created else 200)


@router.get("/charge-orders/{order_no}", response_model=schemas.ChargeOrderOut, tags=["settlement"])
def get_charge_order(order_no: PathId, ctx: CtxDep) -> Response:
    """A settled order: the settlement's body, its status and its refunds."""
    return json_response(get_order(ctx, order_no), zone=ctx.zone)


@router.post(
    "/charge-orders/{order_no}/refunds",
    status_code=201,
    response_model=schemas.OrderRefundOut,
    responses={200: {"model": schemas.OrderRefundOut, "description": "A repeat of the refund_no: the first answer"}},
    tags=["settlement"],
)
def refund_charge_order(order_no: PathId, body: schemas.OrderRefundIn, ctx: CtxDep) -> Response:
    """Refund a settled order in full (``amount_fen`` omitted) or in part; the same refund_no again
    returns the first answer (200), with other content it is 409; more than is refundable is 409."""
    result, created = refunds.refund(ctx, order_no=order_no, refund_no=body.refund_no, amount_fen=body.amount_fen,
                                     reason=body.reason or None, created_by="api")
    return json_response(result, zone=ctx.zone, status=201 if created else 200)


def _order(body: schemas.QuoteIn, ctx) -> ChargeOrder:
    try:
        energy_wh = kwh_to_wh(body.energy_kwh)
    except InvalidEnergy as exc:
        raise Invalid(str(exc), field="energy_kwh", code=exc.code) from exc
    return ChargeOrder(
        order_no=getattr(body, "order_no", None),
        member_id=body.member_id,
        station_id=body.station_id,
        start_time=as_utc(body.start_time, ctx.zone),
        end_time=as_utc(body.end_time, ctx.zone),
        energy_wh=energy_wh,
        elec_fee_fen=body.elec_fee_fen,
        service_fee_fen=body.service_fee_fen,
        voucher=body.voucher_id,
        use_points=body.use_points,
        use_wallet=body.use_wallet,
    )
