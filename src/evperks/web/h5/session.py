"""Who is looking at the H5: the member of the signed session cookie, never an id from the URL.

Pages take ``MemberDep``; without a valid session they redirect to ``/h5/welcome`` (open it from the
official account). Routers use ``H5Route`` so that redirect happens for every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, RedirectResponse, Response

from evperks.api.errors import status_of
from evperks.services import h5_links
from evperks.services.errors import NotFound, ServiceError
from evperks.web.i18n import locale_of, remember_lang
from evperks.web.templating import render

SESSION_COOKIE = "evperks_member"


class NoSession(Exception):
    """No (valid) member session: answered with a redirect to the welcome page."""


class FormRefused(Exception):
    """A member form without its CSRF token."""


@dataclass(frozen=True)
class Member:
    id: str
    session: str  # the cookie's value
    csrf_token: str


def current_member(request: Request) -> Member:
    ctx = request.app.state.ctx
    token = request.cookies.get(SESSION_COOKIE)
    member_id = h5_links.session_member(ctx, token)
    if member_id is None:
        raise NoSession
    return Member(id=member_id, session=token, csrf_token=h5_links.form_token(ctx, token))


MemberDep = Annotated[Member, Depends(current_member)]


def check_form(request: Request, member: Member, given: str) -> None:
    if not h5_links.form_token_ok(request.app.state.ctx, member.session, given):
        raise FormRefused


def start_session(request: Request, response: Response, member_id: str) -> Response:
    """Set the session cookie of ``member_id`` on ``response`` (HttpOnly, SameSite=Lax, Secure on https)."""
    ctx = request.app.state.ctx
    response.set_cookie(SESSION_COOKIE, h5_links.session_token(ctx, member_id), max_age=h5_links.SESSION_SECONDS,
                        path="/", httponly=True, samesite="lax", secure=ctx.settings.secure_cookies)
    return response


def page(request: Request, member: Member | None, template: str, *, status: int = 200, tab: str | None = None,
         **context) -> HTMLResponse:
    """An H5 page: the layout gets the member (for the tab bar and form tokens) and the language."""
    response = render(request, template, locale=locale_of(request), status=status, member=member, tab=tab, **context)
    remember_lang(request, response)
    return response


class H5Route(APIRoute):
    """Turns a missing session into the welcome redirect, a forged form into a 403 page, and a member
    deleted since its session began into the welcome page too."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (NoSession, NotFound):
                response = RedirectResponse("/h5/welcome", status_code=303)
                response.delete_cookie(SESSION_COOKIE, path="/")
                return response
            except FormRefused:
                return page(request, None, "h5/notice.html", status=403, notice="form")
            except ServiceError as exc:  # e.g. a cursor that was not ours: a page, never problem+json
                return page(request, None, "h5/notice.html", status=status_of(exc), notice="bad_request")

        return guarded
