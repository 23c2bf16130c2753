"""Who is signed in to the console, what their role lets them do, and CSRF checks on every form.

Roles: ``admin`` may do everything; ``operator`` runs vouchers, campaigns and members but cannot change
the points or stored-value settings; ``viewer`` reads everything and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from evperks.services import admin_sessions
from evperks.services.admin_sessions import SESSION_COOKIE, AdminSession
from evperks.web.i18n import locale_of, remember_lang
from evperks.web.templating import render

LOGIN_CSRF_COOKIE = "evperks_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CHANGERS = ("admin", "operator")


class LoginRequired(Exception):
    """Raised by ``signed_in``; answered with a redirect to the login page (see ``install``)."""


class Refused(Exception):
    """A role or CSRF refusal, shown as a page (never a stack trace)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Staff:
    """The signed-in console user and the language they read."""

    session: AdminSession
    locale: str

    @property
    def username(self) -> str:
        return self.session.username

    @property
    def role(self) -> str:
        return self.session.role

    @property
    def can_change(self) -> bool:
        return self.role in CHANGERS

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def signed_in(request: Request) -> Staff:
    token = request.cookies.get(SESSION_COOKIE)
    session = admin_sessions.session_for(request.app.state.ctx, token) if token else None
    if session is None:
        raise LoginRequired
    return Staff(session=session, locale=locale_of(request))


async def _csrf_ok(request: Request, staff: Staff) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        given = form.get(CSRF_FIELD)
    if not staff.session.csrf_ok(given):
        raise Refused(403, "csrf")


async def may_read(request: Request, staff: Annotated[Staff, Depends(signed_in)]) -> Staff:
    """Any signed-in user; a form posted here still needs the CSRF token (e.g. logout)."""
    await _csrf_ok(request, staff)
    return staff


async def may_change(request: Request, staff: Annotated[Staff, Depends(signed_in)]) -> Staff:
    """Admins and operators, with a valid CSRF token on anything but a GET."""
    if not staff.can_change:
        raise Refused(403, "role")
    await _csrf_ok(request, staff)
    return staff


async def may_configure(request: Request, staff: Annotated[Staff, Depends(signed_in)]) -> Staff:
    """Admins only: points and stored-value settings."""
    if not staff.is_admin:
        raise Refused(403, "role")
    await _csrf_ok(request, staff)
    return staff


StaffDep = Annotated[Staff, Depends(may_read)]
ChangerDep = Annotated[Staff, Depends(may_change)]
ConfigurerDep = Annotated[Staff, Depends(may_configure)]


def page(request: Request, staff: Staff | None, template: str, *, status: int = 200, **context) -> HTMLResponse:
    """An admin page: the layout gets the user, the CSRF token and the language; ``?lang=`` is remembered."""
    locale = staff.locale if staff else locale_of(request)
    response = render(request, template, locale=locale, status=status, staff=staff,
                      csrf_token=staff.session.csrf_token if staff else None, **context)
    remember_lang(request, response)
    return response


def login_csrf_token(request: Request) -> str:
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def install(app) -> None:
    """Exception handlers: not signed in → the login page; refused → a page saying why."""

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/admin/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/admin/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        session = admin_sessions.session_for(request.app.state.ctx, token) if token else None
        staff = Staff(session=session, locale=locale_of(request)) if session else None
        return page(request, staff, "admin/refused.html", status=exc.status, reason=exc.message)
