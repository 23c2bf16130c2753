"""The member's campaign progress (活动进度查看) and message centre (role platform)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from evperks.api import schemas, schemas_messages
from evperks.api.deps import CtxDep, require_platform
from evperks.api.responses import json_response
from evperks.services.campaigns import progress

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_platform)])
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=schemas.ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/members/{member_id}/campaigns", response_model=schemas_messages.CampaignProgressList,
            tags=["campaigns"])
def member_campaigns(member_id: PathId, ctx: CtxDep) -> Response:
    """Progress in every running consumption campaign the member takes part in."""
    return json_response(progress.member_campaigns(ctx, member_id=member_id), zone=ctx.zone)


@router.get("/members/{member_id}/messages", response_model=schemas_messages.MessagePage, tags=["messages"])
def member_messages(member_id: PathId, ctx: CtxDep, limit: Limit = 50, cursor: str | None = None) -> Response:
    """The member's message centre, newest first."""
    return json_response(progress.list_messages(ctx, member_id=member_id, limit=limit, cursor=cursor), zone=ctx.zone)
