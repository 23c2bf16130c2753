"""The sandbox clock and the synchronous job tick; mounted only with EVPERKS_SANDBOX=1."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas
from evperks.api.deps import CtxDep, require_admin
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.domain.timecal import as_utc
from evperks.jobs.scheduler import run_due

router = APIRouter(
    prefix="/api/v1/sandbox", dependencies=[Depends(require_admin)], tags=["sandbox"], route_class=ApiRoute,
)


@router.put("/clock", response_model=schemas.ClockOut)
def move_clock(body: schemas.ClockIn, ctx: CtxDep) -> Response:
    """Stand the sandbox clock still at ``now``; it never moves back (409)."""
    return json_response({"now": ctx.clock.move_to(as_utc(body.now, ctx.zone))}, zone=ctx.zone)


@router.get("/clock", response_model=schemas.ClockOut)
def read_clock(ctx: CtxDep) -> Response:
    return json_response({"now": ctx.clock.now()}, zone=ctx.zone)


@router.post("/tick", response_model=schemas.TickOut)
def tick(ctx: CtxDep) -> Response:
    """Run every scheduled job due at the sandbox now, synchronously, and say what ran."""
    ran = run_due(ctx, worker_id="sandbox-tick")
    return json_response({"now": ctx.clock.now(), "ran": ran}, zone=ctx.zone)
