"""The member's campaign progress (活动进度查看) and message centre (role platform)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas_messages
from evperks.api.deps import CtxDep, require_platform
from evperks.api.params import Cursor, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.services import messages
from evperks.services.campaigns import progress

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_platform)], route_class=ApiRoute)


@router.get("/members/{member_id}/campaigns", response_model=schemas_messages.CampaignProgressList,
            tags=["campaigns"])
def member_campaigns(member_id: PathId, ctx: CtxDep) -> Response:
    """Progress in every running consumption campaign the member takes part in."""
    return json_response(progress.member_campaigns(ctx, member_id=member_id), zone=ctx.zone)


@router.get("/members/{member_id}/messages", response_model=schemas_messages.MessagePage, tags=["messages"])
def member_messages(
    member_id: PathId, ctx: CtxDep, unread: bool = False, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    """The member's message centre, newest first (only unread messages with ``unread=true``)."""
    found = messages.list_messages(ctx, member_id=member_id, unread=unread, limit=limit, cursor=cursor)
    return json_response(found, zone=ctx.zone)


@router.post("/members/{member_id}/messages/read", response_model=schemas_messages.MarkReadOut, tags=["messages"])
def mark_messages_read(member_id: PathId, body: schemas_messages.MarkReadIn, ctx: CtxDep) -> Response:
    """Mark messages read: ``{"message_ids": [...]}``, ``{"up_to_id": N}`` or ``{"all": true}``. Marking
    a read message again changes nothing (its ``read_at`` stays the first time)."""
    marked = messages.mark_read(ctx, member_id=member_id, message_ids=body.message_ids, up_to_id=body.up_to_id)
    return json_response(marked, zone=ctx.zone)
