"""活动进度查看 (the 活动 tab) and 消息 (the message centre)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evperks.services import messages
from evperks.services.campaigns import progress
from evperks.web.h5.session import H5Route, MemberDep, page

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)


@router.get("/campaigns")
def campaign_progress(request: Request, member: MemberDep) -> Response:
    found = progress.member_campaigns(request.app.state.ctx, member_id=member.id)
    return page(request, member, "h5/progress.html", tab="campaigns", items=found["items"])


@router.get("/messages")
def message_centre(request: Request, member: MemberDep,
                   cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    """Opening the page reads what it shows: those messages are marked read (the page still marks them new)."""
    ctx = request.app.state.ctx
    found = messages.list_messages(ctx, member_id=member.id, limit=20, cursor=cursor or None)
    unread = [m["id"] for m in found["items"] if m["read_at"] is None]
    if unread:
        messages.mark_read(ctx, member_id=member.id, message_ids=unread)
    return page(request, member, "h5/messages.html", tab="me", found=found)
