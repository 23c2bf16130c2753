"""Admin console sign-in: password check with lock-out, and server-side sessions.

A session is a random token in an HttpOnly cookie; the database keeps only its sha256, the user and the
session's CSRF token, so logging out (or deleting the row) ends it at once. Repeated failures for one
username lock it for a while, whether or not that user exists, so a lock-out never reveals which names
are real.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, insert, select, update

from evperks.db.tables import admin_users
from evperks.db.tables_web import admin_sessions, login_throttle
from evperks.db.upsert import insert_for
from evperks.services import access
from evperks.services.context import Context

# The cookie carrying the token: the console's pages and the admin API read the same one.
SESSION_COOKIE = "evperks_admin"


@dataclass(frozen=True)
class AdminSession:
    username: str
    role: str
    csrf_token: str

    def csrf_ok(self, given: object) -> bool:
        """Whether ``given`` (a form field or header) is this session's CSRF token; constant-time."""
        return isinstance(given, str) and hmac.compare_digest(given, self.csrf_token)


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.token is not None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(ctx: Context, *, username: str, password: str) -> LoginResult:
    """A new session token when the password is right and the name is not locked out."""
    now = ctx.clock.now()
    username = username.strip()[:64]
    with ctx.db.read() as conn:
        locked_until = conn.execute(
            select(login_throttle.c.locked_until).where(login_throttle.c.username == username)
        ).scalar_one_or_none()
    if locked_until is not None and locked_until > now:
        return LoginResult(locked_until=locked_until)
    role = access.verify_admin_password(ctx, username=username, password=password)
    if role is None:
        return LoginResult(locked_until=_count_failure(ctx, username, now))
    token = secrets.token_urlsafe(32)
    hours = ctx.settings.admin_session_hours
    with ctx.db.write() as conn:
        conn.execute(delete(login_throttle).where(login_throttle.c.username == username))
        conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at <= now))
        conn.execute(insert(admin_sessions).values(
            token_hash=_hash(token), username=username, csrf_token=secrets.token_urlsafe(32),
            created_at=now, expires_at=now + timedelta(hours=hours),
        ))
    return LoginResult(token=token)


def _count_failure(ctx: Context, username: str, now: datetime) -> datetime | None:
    """One more failure in the current window (one upsert, so parallel attempts all count); the
    lock-out instant once the limit is reached."""
    limit, window = ctx.settings.login_max_failures, timedelta(minutes=ctx.settings.login_lockout_minutes)
    t = login_throttle.c
    stale = t.first_failure_at <= now - window
    with ctx.db.write() as conn:
        stmt = insert_for(conn, login_throttle).values(username=username, failures=1, first_failure_at=now)
        failures = conn.execute(stmt.on_conflict_do_update(
            index_elements=["username"],
            set_={
                "failures": case((stale, 1), else_=t.failures + 1),
                "first_failure_at": case((stale, now), else_=t.first_failure_at),
                "locked_until": case((stale, None), else_=t.locked_until),
            },
        ).returning(login_throttle.c.failures)).scalar_one()
        if failures < limit:
            return None
        locked_until = now + window
        conn.execute(update(login_throttle).where(t.username == username).values(locked_until=locked_until))
        return locked_until


def session_for(ctx: Context, token: str) -> AdminSession | None:
    """The signed-in user behind a cookie token, if the session is live and the user still exists."""
    with ctx.db.read() as conn:
        row = conn.execute(
            select(admin_sessions.c.username, admin_sessions.c.csrf_token, admin_users.c.role)
            .join(admin_users, admin_users.c.username == admin_sessions.c.username)
            .where(admin_sessions.c.token_hash == _hash(token), admin_sessions.c.expires_at > ctx.clock.now())
        ).first()
    return AdminSession(username=row.username, role=row.role, csrf_token=row.csrf_token) if row else None


def log_out(ctx: Context, token: str) -> None:
    with ctx.db.write() as conn:
        conn.execute(delete(admin_sessions).where(admin_sessions.c.token_hash == _hash(token)))
