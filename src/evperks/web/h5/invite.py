"""邀请有奖: the member's invite link and QR code, the referral rules, who they invited and what it earned."""

from __future__ import annotations

from io import BytesIO

import segno
from fastapi import APIRouter, Request
from starlette.responses import Response

from evperks.services import h5_views, members
from evperks.web.h5.session import H5Route, MemberDep, page

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)


def invite_url(request: Request, invite_code: str) -> str:
    return f"{request.app.state.ctx.settings.public_base_url.rstrip('/')}/h5/register?invite={invite_code}"


@router.get("/invite")
def invite(request: Request, member: MemberDep) -> Response:
    view = h5_views.invites(request.app.state.ctx, member.id)
    in_wechat = "MicroMessenger" in request.headers.get("user-agent", "")  # then the share hint shows too
    return page(request, member, "h5/invite.html", tab="home", view=view, url=invite_url(request, view["invite_code"]),
                in_wechat=in_wechat)


@router.get("/invite/qr.svg")
def invite_qr(request: Request, member: MemberDep) -> Response:
    """The invite link as a QR code (SVG, a few hundred bytes; the member's own link only)."""
    code = members.get_member(request.app.state.ctx, member.id)["invite_code"]
    svg = BytesIO()
    segno.make(invite_url(request, code), error="m").save(svg, kind="svg", scale=5, border=2, dark="#111")
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})
