"""Typed dependencies: the service context and the caller's role."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

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

    def cached(self, key: str) -> tuple[str | None] | None:
        """``(role,)`` while the key's entry is fresh, else None (then ``role`` reads the database)."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return (hit[1],)
        return None

    def role(self, ctx: Context, key: str) -> str | None:
        if hit := self.cached(key):
            return hit[0]
        role = access.role_of_key(ctx, key)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, role)
        return role


async def _caller_role(request: Request) -> str:
    """Async, and remembered for the request: ``api.routing`` asks before the body is read, the route's
    dependency asks again. A fresh cached key costs no thread hop; a database read runs in the pool."""
    role = request.scope.get(_ROLE)
    if role is None:
        role = request.scope[_ROLE] = await _authenticate(request)
    return role


_ROLE = "evperks.role"


async def _authenticate(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header and request.cookies.get(admin_sessions.SESSION_COOKIE):
        return await run_in_threadpool(_console_role, request)
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise HTTPException(401, "An API key is required: Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"})
    cache: KeyCache = request.app.state.key_cache
    hit = cache.cached(key)
    role = hit[0] if hit else await run_in_threadpool(cache.role, request.app.state.ctx, key)
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


async def require_platform(request: Request) -> str:
    """Platform calls; an admin key may make them too."""
    return await _caller_role(request)


async def require_admin(request: Request) -> str:
    role = await _caller_role(request)
    if role != "admin":
        raise HTTPException(403, "This call needs an admin key")
    return role


GUARDS = (require_platform, require_admin)  # run by api.routing.ApiRoute before a body is read
