"""Typed dependencies: the service context and the caller's role."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from evperks.services import access, admin_sessions
from evperks.services.context import Context


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


CtxDep = Annotated[Context, Depends(get_ctx)]


class KeyCache:
    """Role per key hash for a few seconds: one database read per key and interval, not per request.
    A revoked key stops working within ``EVPERKS_API_KEY_CACHE_SECONDS``."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, str | None]] = {}

    def role(self, ctx: Context, key: str) -> str | None:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        role = access.role_of_key(ctx, key)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (now + self.ttl, role)
        return role


def _caller_role(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header and request.cookies.get(admin_sessions.SESSION_COOKIE):
        return _console_role(request)
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(401, "An API key is required: Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"})
    role = request.app.state.key_cache.role(request.app.state.ctx, key.strip())
    if role is None:
        raise HTTPException(401, "The API key is not valid", {"WWW-Authenticate": "Bearer"})
    return role


def _console_role(request: Request) -> str:
    """A console session calling the API from the browser acts as an admin key when its user is a console
    admin; a change also needs the session's CSRF token in X-CSRF-Token (a cookie alone proves nothing
    against a forged cross-site request)."""
    session = admin_sessions.session_for(request.app.state.ctx, request.cookies[admin_sessions.SESSION_COOKIE])
    if session is None:
        raise HTTPException(401, "The console session has ended; sign in again")
    if session.role != "admin":
        raise HTTPException(403, "Only console admins may call the API with their session")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not session.csrf_ok(request.headers.get("x-csrf-token")):
        raise HTTPException(403, "A change made with a console session needs its X-CSRF-Token header")
    return session.role


def require_platform(request: Request) -> str:
    """Platform calls; an admin key may make them too."""
    return _caller_role(request)


def require_admin(request: Request) -> str:
    role = _caller_role(request)
    if role != "admin":
        raise HTTPException(403, "This call needs an admin key")
    return role
