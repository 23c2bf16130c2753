"""Points (积分): admin settings and manual grants/deductions; the member's balance, lots and ledger."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas_points
from evperks.api.deps import CtxDep, require_admin, require_platform
from evperks.api.params import Cursor, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.domain.timecal import as_utc
from evperks.services import points
from evperks.services.points import settings as points_settings

router = APIRouter(prefix="/api/v1", tags=["points"], route_class=ApiRoute)


@router.get("/admin/points/settings", response_model=schemas_points.PointsSettingsOut,
            dependencies=[Depends(require_admin)])
def get_points_settings(ctx: CtxDep) -> Response:
    """The settings, the expiry rule in force and a pending rule change with when it takes effect."""
    return json_response(points_settings.get_settings(ctx), zone=ctx.zone)


@router.put("/admin/points/settings", response_model=schemas_points.PointsSettingsOut,
            dependencies=[Depends(require_admin)])
def put_points_settings(body: schemas_points.PointsSettingsIn, ctx: CtxDep) -> Response:
    """Save settings; an expiry rule change takes effect at the next local 00:00."""
    result = points_settings.put_settings(
        ctx,
        earning=body.earning.model_dump() if body.earning else None,
        redemption=body.redemption.model_dump() if body.redemption else None,
        expiry=body.expiry.model_dump(exclude_none=True) if body.expiry else None,
        reminder_days=body.reminder_days,
        actor="api",
    )
    return json_response(result, zone=ctx.zone)


@router.post("/admin/members/{member_id}/points", status_code=201, response_model=schemas_points.AdjustOut,
             dependencies=[Depends(require_admin)])
def adjust_points(member_id: PathId, body: schemas_points.PointsAdjustIn, ctx: CtxDep) -> Response:
    """Grant (+) or deduct (−) points by hand with a reason; ``granted_at`` imports a past grant."""
    result = points.adjust(
        ctx, member_id=member_id, points=body.points, reason=body.reason,
        granted_at=as_utc(body.granted_at, ctx.zone) if body.granted_at else None, actor="api",
    )
    return json_response(result, zone=ctx.zone, status=201)


@router.get("/members/{member_id}/points", response_model=schemas_points.MemberPointsOut,
            dependencies=[Depends(require_platform)])
def member_points(member_id: PathId, ctx: CtxDep) -> Response:
    """Balance, the lots holding points (soonest expiry first) and what expires soon."""
    return json_response(points.member_points(ctx, member_id), zone=ctx.zone)


@router.get("/members/{member_id}/points/ledger", response_model=schemas_points.LedgerPage,
            dependencies=[Depends(require_platform)])
def member_points_ledger(member_id: PathId, ctx: CtxDep, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """Every change of the member's points, newest first."""
    return json_response(points.list_ledger(ctx, member_id=member_id, limit=limit, cursor=cursor), zone=ctx.zone)
