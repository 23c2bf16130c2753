"""首页 and 个人中心."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from evperks.services import h5_views
from evperks.web.h5.session import H5Route, MemberDep, page

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)


@router.get("")
def home(request: Request, member: MemberDep) -> Response:
    summary = h5_views.home(request.app.state.ctx, member.id)
    return page(request, member, "h5/home.html", tab="home", summary=summary)


@router.get("/me")
def me(request: Request, member: MemberDep) -> Response:
    summary = h5_views.home(request.app.state.ctx, member.id)
    return page(request, member, "h5/me.html", tab="me", summary=summary)
