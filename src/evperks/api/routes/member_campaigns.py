"""The member's campaign progress (活动进度查看) and message centre (role platform)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas_messages
from evperks.api.deps import CtxDep, require_platform
from evperks.api.params import Cursor, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.services.campaigns import progress

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_platform)], route_class=ApiRoute)


@router.get("/members/{member_id}/campaigns", response_model=schemas_messages.CampaignProgressList,
            tags=["campaigns"])
def member_campaigns(member_id: PathId, ctx: CtxDep) -> Response:
    """Progress in every running consumption campaign the member takes part in."""
    return json_response(progress.member_campaigns(ctx, member_id=member_id), zone=ctx.zone)


@router.get("/members/{member_id}/messages", response_model=schemas_messages.MessagePage, tags=["messages"])
def member_messages(member_id: PathId, ctx: CtxDep, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """The member's message centre, newest first."""
    return json_response(progress.list_messages(ctx, member_id=member_id, limit=limit, cursor=cursor), zone=ctx.zone)
