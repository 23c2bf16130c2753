"""Charge sessions from the platform (role platform): hold at plug-in, settle or cancel at stop."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas_sessions as ss
from evperks.api.deps import CtxDep, require_platform
from evperks.api.params import PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.domain.timecal import as_utc
from evperks.domain.units import InvalidEnergy, kwh_to_wh
from evperks.services import sessions
from evperks.services.errors import Invalid

router = APIRouter(prefix="/api/v1/charge-sessions", dependencies=[Depends(require_platform)], route_class=ApiRoute,
                   tags=["charge sessions"])


@router.post("", status_code=201, response_model=ss.SessionOut,
             responses={200: {"model": ss.SessionOut, "description": "The same request again: the session as it is"}})
def open_session(body: ss.SessionIn, ctx: CtxDep) -> Response:
    """Open a session and hold what the member will pay with; the same session_id again answers 200."""
    request = sessions.SessionRequest(
        session_id=body.session_id, member_id=body.member_id, station_id=body.station_id,
        started_at=as_utc(body.started_at, ctx.zone) if body.started_at else None, voucher=body.voucher_id,
        use_points=body.use_points, use_wallet=body.use_wallet, wallet_hold_fen=body.wallet_hold_fen,
    )
    session, created = sessions.open_session(ctx, request)
    return json_response(session, zone=ctx.zone, status=201 if created else 200)


@router.get("/{session_id}", response_model=ss.SessionOut)
def get_session(session_id: PathId, ctx: CtxDep) -> Response:
    return json_response(sessions.get_session(ctx, session_id), zone=ctx.zone)


@router.post("/{session_id}/settle", status_code=201, response_model=ss.SessionSettlementOut,
             responses={200: {"model": ss.SessionSettlementOut, "description": "A repeat: the first settlement's body"}})
def settle_session(session_id: PathId, body: ss.SessionSettleIn, ctx: CtxDep) -> Response:
    """Settle the session's charge order with the final amounts, paying from its holds first."""
    try:
        energy_wh = kwh_to_wh(body.energy_kwh)
    except InvalidEnergy as exc:
        raise Invalid(str(exc), field="energy_kwh", code=exc.code) from exc
    final = sessions.FinalAmounts(order_no=body.order_no, end_time=as_utc(body.end_time, ctx.zone), energy_wh=energy_wh,
                                  elec_fee_fen=body.elec_fee_fen, service_fee_fen=body.service_fee_fen)
    result, created = sessions.settle_session(ctx, session_id, final)
    return json_response(result, zone=ctx.zone, status=201 if created else 200)


@router.post("/{session_id}/cancel", response_model=ss.SessionOut)
def cancel_session(session_id: PathId, ctx: CtxDep) -> Response:
    """Release everything the session holds; again: the same answer. A settled session is 409."""
    session, _ = sessions.cancel_session(ctx, session_id)
    return json_response(session, zone=ctx.zone)
