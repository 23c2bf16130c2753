"""Sign in and out. The login form is CSRF-protected by a double-submit cookie (there is no session yet)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from evperks.services import admin_sessions
from evperks.web.admin.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Refused,
    StaffDep,
    login_csrf_token,
    page,
)

router = APIRouter(prefix="/admin", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


def _login_page(request: Request, *, status: int = 200, error: str | None = None, username: str = "",
                next_path: str | None = None) -> Response:
    token = login_csrf_token(request)
    response = page(request, None, "admin/login.html", status=status, error=error, username=username,
                    login_csrf=token, next_path=_safe_next(next_path or request.query_params.get("next")))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/admin/login",
                        secure=request.app.state.ctx.settings.secure_cookies)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise Refused(403, "csrf")
    if not username.strip() or not password:
        return _login_page(request, status=422, error="missing", username=username, next_path=next)
    ctx = request.app.state.ctx
    # The peer's address; behind a reverse proxy uvicorn puts the forwarded client here, but only for the
    # proxies FORWARDED_ALLOW_IPS names (docs/admin-console.md "Signing in").
    address = request.client.host if request.client else "unknown"
    result = await run_in_threadpool(admin_sessions.log_in, ctx, username=username, password=password,
                                     address=address)
    if not result.ok:
        error = "locked" if result.locked_until else "wrong"
        return _login_page(request, status=429 if result.locked_until else 401, error=error, username=username,
                           next_path=next)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="lax", path="/",
                        max_age=ctx.settings.admin_session_hours * 3600, secure=ctx.settings.secure_cookies)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


@router.post("/logout")
def logout(request: Request, staff: StaffDep) -> Response:
    admin_sessions.log_out(request.app.state.ctx, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
