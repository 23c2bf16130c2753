"""Signed entry links to the member H5 and the member session they start.

The charging platform asks for a link (``GET /api/v1/members/{id}/h5-link``) and opens it in the
member's WeChat browser. Both the link token and the session cookie are stateless HMAC-SHA256
signatures over ``purpose, member id, expiry`` with keys derived from ``EVPERKS_H5_LINK_SECRET``: one
key per purpose, so a link can never be replayed as a cookie nor a cookie as a link. Verification is
constant-time. Without a secret there are no links and no sessions (``LinksDisabled``, 503).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlencode

from evperks.services import members
from evperks.services.context import Context
from evperks.services.errors import Unavailable

SESSION_SECONDS = 24 * 3600  # a session outlives one visit; the official-account menu mints a new link each time
_VERSION = "v1"


class LinksDisabled(Unavailable):
    """``EVPERKS_H5_LINK_SECRET`` is not set: nothing can be signed."""

    def __init__(self) -> None:
        super().__init__("H5 links are disabled: set EVPERKS_H5_LINK_SECRET (h5_link_secret)",
                         field="h5_link_secret")


class Refusal(StrEnum):
    INVALID = "invalid"  # malformed, forged or tampered
    EXPIRED = "expired"


@dataclass(frozen=True)
class Verified:
    member_id: str | None
    refusal: Refusal | None = None


def enabled(ctx: Context) -> bool:
    return bool(ctx.settings.h5_link_secret)


def member_link(ctx: Context, member_id: str) -> dict:
    """``{"url", "expires_at"}``: the member's signed entry link. 404 for an unknown member, 503 without a secret."""
    if not enabled(ctx):
        raise LinksDisabled
    members.get_member(ctx, member_id)  # NotFound for an unknown member
    expires = int(ctx.clock.now().timestamp()) + ctx.settings.h5_link_ttl_seconds
    token = _sign(ctx, "link", member_id, expires)
    base = ctx.settings.public_base_url.rstrip("/")
    return {"url": f"{base}/h5/enter?{urlencode({'t': token})}",
            "expires_at": datetime.fromtimestamp(expires, tz=UTC)}


def verify_link(ctx: Context, token: str) -> Verified:
    return _verify(ctx, "link", token)


def session_token(ctx: Context, member_id: str) -> str:
    """The value of a new member session cookie (valid SESSION_SECONDS)."""
    if not enabled(ctx):
        raise LinksDisabled
    return _sign(ctx, "session", member_id, int(ctx.clock.now().timestamp()) + SESSION_SECONDS)


def session_member(ctx: Context, token: str | None) -> str | None:
    """The member a session cookie belongs to, or None (absent, forged, expired, or links disabled)."""
    if not token or not enabled(ctx):
        return None
    return _verify(ctx, "session", token).member_id


def form_token(ctx: Context, session: str) -> str:
    """The CSRF token of a session's forms: bound to that very cookie."""
    return hmac.new(_key(ctx, "csrf"), session.encode(), hashlib.sha256).hexdigest()


def form_token_ok(ctx: Context, session: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(given, form_token(ctx, session))


# --- signing ------------------------------------------------------------------------------------

def _key(ctx: Context, purpose: str) -> bytes:
    secret = (ctx.settings.h5_link_secret or "").encode()
    return hmac.new(secret, f"evperks h5 {purpose} {_VERSION}".encode(), hashlib.sha256).digest()


def _mac(ctx: Context, purpose: str, member_id: str, expires: int) -> str:
    return hmac.new(_key(ctx, purpose), f"{member_id}\n{expires}".encode(), hashlib.sha256).hexdigest()


def _sign(ctx: Context, purpose: str, member_id: str, expires: int) -> str:
    encoded = base64.urlsafe_b64encode(member_id.encode()).decode().rstrip("=")
    return f"{_VERSION}.{encoded}.{expires}.{_mac(ctx, purpose, member_id, expires)}"


def _verify(ctx: Context, purpose: str, token: str) -> Verified:
    invalid = Verified(None, Refusal.INVALID)
    if not enabled(ctx) or len(token) > 400:
        return invalid
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not parts[2].isdigit():
        return invalid
    try:
        member_id = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return invalid
    expires = int(parts[2])
    if not hmac.compare_digest(parts[3], _mac(ctx, purpose, member_id, expires)):
        return invalid
    if expires <= ctx.clock.now().timestamp():
        return Verified(None, Refusal.EXPIRED)
    return Verified(member_id)
