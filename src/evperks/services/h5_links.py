"""Signed entry links to the member H5 and the member session they start.

The charging platform asks for a link (``GET /api/v1/members/{id}/h5-link``) and opens it in the
member's WeChat browser. Both the link token and the session cookie are stateless HMAC-SHA256
signatures over ``purpose, member id, expiry`` with keys derived from the ``h5`` signing secret (see
``signing_keys``: generated in the database, or ``EVPERKS_H5_LINK_SECRET``): one key per purpose, so a
link can never be replayed as a cookie nor a cookie as a link. Verification is constant-time.

A token starts with the id of the key that signed it: ``k<version>`` for a database version, ``v1`` for
the environment variable (the format of the links signed before the database kept secrets, so those keep
working while the variable keeps its value). After ``evperks secrets rotate h5`` the previous version is
accepted for as long as anything it signed can live: the link TTL or a session, whichever is longer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from evperks.services import members, signing_keys
from evperks.services.context import Context
from evperks.services.results import Result, result
from evperks.services.signing_keys import Key

SESSION_SECONDS = 24 * 3600  # a session outlives one visit; the official-account menu mints a new link each time
SECRET = signing_keys.Secret(
    "h5", "h5_link_secret", overlap=lambda s: timedelta(seconds=max(s.h5_link_ttl_seconds, SESSION_SECONDS))
)
_ENV_KEY_ID = "v1"


class Refusal(StrEnum):
    INVALID = "invalid"  # malformed, forged or tampered
    EXPIRED = "expired"


@dataclass(frozen=True)
class Verified:
    member_id: str | None
    refusal: Refusal | None = None


@result
class MemberLink(Result):
    url: str
    expires_at: datetime


def member_link(ctx: Context, member_id: str) -> MemberLink:
    """The member's signed entry link and when it expires. 404 for an unknown member."""
    members.get_member(ctx, member_id)  # NotFound for an unknown member
    expires = int(ctx.clock.now().timestamp()) + ctx.settings.h5_link_ttl_seconds
    token = _sign(ctx, "link", member_id, expires)
    base = ctx.settings.public_base_url.rstrip("/")
    return MemberLink(url=f"{base}/h5/enter?{urlencode({'t': token})}",
                      expires_at=datetime.fromtimestamp(expires, tz=UTC))


def verify_link(ctx: Context, token: str) -> Verified:
    return _verify(ctx, "link", token)


def session_token(ctx: Context, member_id: str) -> str:
    """The value of a new member session cookie (valid SESSION_SECONDS)."""
    return _sign(ctx, "session", member_id, int(ctx.clock.now().timestamp()) + SESSION_SECONDS)


def session_member(ctx: Context, token: str | None) -> str | None:
    """The member a session cookie belongs to, or None (absent, forged or expired)."""
    if not token:
        return None
    return _verify(ctx, "session", token).member_id


def form_token(ctx: Context, session: str) -> str:
    """The CSRF token of a session's forms: bound to that very cookie (and signed by its key, so a
    rotation does not spoil the forms of a session it lets live)."""
    key = _key_of(ctx, session)
    return _form_mac(key, session) if key else ""


def form_token_ok(ctx: Context, session: str, given: str) -> bool:
    key = _key_of(ctx, session)
    return bool(given) and key is not None and hmac.compare_digest(given, _form_mac(key, session))


# --- signing ------------------------------------------------------------------------------------

def _key_id(key: Key) -> str:
    return _ENV_KEY_ID if key.version is None else f"k{key.version}"


def _purpose_key(key: Key, purpose: str) -> bytes:
    return hmac.new(key.secret, f"evperks h5 {purpose} v1".encode(), hashlib.sha256).digest()


def _mac(key: Key, purpose: str, member_id: str, expires: int) -> str:
    return hmac.new(_purpose_key(key, purpose), f"{member_id}\n{expires}".encode(), hashlib.sha256).hexdigest()


def _form_mac(key: Key, session: str) -> str:
    return hmac.new(_purpose_key(key, "csrf"), session.encode(), hashlib.sha256).hexdigest()


def _key_of(ctx: Context, token: str) -> Key | None:
    """The accepted key a token names by its first part, or None."""
    key_id = token.partition(".")[0]
    return signing_keys.Ring(ctx, SECRET).find(lambda key: _key_id(key) == key_id)


def _sign(ctx: Context, purpose: str, member_id: str, expires: int) -> str:
    key = signing_keys.Ring(ctx, SECRET).current()
    encoded = base64.urlsafe_b64encode(member_id.encode()).decode().rstrip("=")
    return f"{_key_id(key)}.{encoded}.{expires}.{_mac(key, purpose, member_id, expires)}"


def _verify(ctx: Context, purpose: str, token: str) -> Verified:
    invalid = Verified(None, Refusal.INVALID)
    if len(token) > 400:
        return invalid
    parts = token.split(".")
    if len(parts) != 4 or not parts[2].isdigit():
        return invalid
    try:
        member_id = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return invalid
    expires = int(parts[2])
    key = _key_of(ctx, token)
    if key is None or not hmac.compare_digest(parts[3], _mac(key, purpose, member_id, expires)):
        return invalid
    if expires <= ctx.clock.now().timestamp():
        return Verified(None, Refusal.EXPIRED)
    return Verified(member_id)
