"""Typed dependencies: the service context and the caller's role."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from evperks.services import access
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
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(401, "An API key is required: Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"})
    role = request.app.state.key_cache.role(request.app.state.ctx, key.strip())
    if role is None:
        raise HTTPException(401, "The API key is not valid", {"WWW-Authenticate": "Bearer"})
    return role


def require_platform(request: Request) -> str:
    """Platform calls; an admin key may make them too."""
    return _caller_role(request)


def require_admin(request: Request) -> str:
    role = _caller_role(request)
    if role != "admin":
        raise HTTPException(403, "This call needs an admin key")
    return role
