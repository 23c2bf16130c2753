"""Entering the H5: the signed link from the platform starts a member session; without one, a welcome
page that says to open the H5 from the official account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from evperks.services import h5_links
from evperks.web.h5.session import SESSION_COOKIE, H5Route, page, start_session

router = APIRouter(prefix="/h5", include_in_schema=False, route_class=H5Route)


@router.get("/enter")
def enter(request: Request, t: Annotated[str, Query(max_length=400)] = "") -> Response:
    verified = h5_links.verify_link(request.app.state.ctx, t)
    if verified.member_id is None:
        response = page(request, None, "h5/notice.html", status=403, notice=f"link_{verified.refusal}")
        response.delete_cookie(SESSION_COOKIE, path="/")  # a refused link never leaves an older session behind
        return response
    return start_session(request, RedirectResponse("/h5", status_code=303), verified.member_id)


@router.get("/welcome")
def welcome(request: Request) -> Response:
    return page(request, None, "h5/notice.html", status=401, notice="no_session")
