"""The member H5's entry link, asked for by the charging platform (role platform)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.responses import Response

from evperks.api.deps import CtxDep, require_platform
from evperks.api.params import PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.services import h5_links

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_platform)], tags=["members"], route_class=ApiRoute)


class H5LinkOut(BaseModel):
    url: str
    expires_at: datetime


@router.get("/members/{member_id}/h5-link", response_model=H5LinkOut)
def h5_link(member_id: PathId, ctx: CtxDep) -> Response:
    """A signed, expiring link that opens the member H5 signed in as this member
    (EVPERKS_H5_LINK_TTL_SECONDS, 7 days by default). Unknown member 404."""
    return json_response(h5_links.member_link(ctx, member_id), zone=ctx.zone)
