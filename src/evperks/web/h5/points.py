"""积分: balance, what expires soon and when, the ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evperks.services import members
from evperks.services.points import ledger
from evperks.web.h5.session import H5Route, MemberDep, page

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)


@router.get("/points")
def points(request: Request, member: MemberDep, cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    ctx = request.app.state.ctx
    summary = ledger.member_points(ctx, member.id)
    entries = ledger.list_ledger(ctx, member_id=member.id, limit=20, cursor=cursor or None)
    held = members.get_member(ctx, member.id)
    return page(request, member, "h5/points.html", tab="me", summary=summary, entries=entries,
                validity=_by_expiry(summary.lots), points_held=held["points_balance"] - held["points_available"])


def _by_expiry(lots) -> list[tuple]:
    """The points held, summed per expiry instant, soonest first, those that never expire last."""
    held: dict = {}
    for lot in lots:  # already soonest first, never last
        held[lot.expires_at] = held.get(lot.expires_at, 0) + lot.remaining
    return list(held.items())
