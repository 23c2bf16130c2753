"""Admin console sign-in: password check with lock-out, and server-side sessions.

A session is a random token in an HttpOnly cookie; the database keeps only its sha256, the user and the
session's CSRF token, so logging out (or deleting the row) ends it at once. Sign-in attempts are counted
per (name, address), per address and per name, whether or not that user exists, so a lock-out never
reveals which names are real (the policy: docs/admin-console.md "Signing in").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, insert, or_, select, update

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


def log_in(ctx: Context, *, username: str, password: str, address: str) -> LoginResult:
    """A new session token when the password is right and no counter of this attempt is full.

    ``address`` is the client's address (the proxy's client when uvicorn trusts its forwarded headers).
    The attempt takes its slot in every counter BEFORE the password is checked, in one transaction of
    guarded upserts: N parallel guesses get at most the limit's password checks, never N.
    """
    now = ctx.clock.now()
    subjects = _Subjects.of(username.strip()[:64], address[:64])
    try:
        pair_failures = _take_attempt(ctx, subjects, now)
    except _Locked as locked:
        return LoginResult(locked_until=locked.until)
    role = access.verify_admin_password(ctx, username=subjects.username, password=password)
    if role is None:
        window_end = now + timedelta(minutes=ctx.settings.login_lockout_minutes)
        return LoginResult(locked_until=window_end if pair_failures >= ctx.settings.login_max_failures else None)
    token = secrets.token_urlsafe(32)
    hours = ctx.settings.admin_session_hours
    with ctx.db.write() as conn:
        _give_back(conn, subjects, now)
        _forget_old(ctx, conn, now)
        conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at <= now))
        conn.execute(insert(admin_sessions).values(
            token_hash=_hash(token), username=subjects.username, csrf_token=secrets.token_urlsafe(32),
            created_at=now, expires_at=now + timedelta(hours=hours),
        ))
    return LoginResult(token=token)


@dataclass(frozen=True)
class _Subjects:
    username: str
    pair: str
    address: str
    name: str

    @classmethod
    def of(cls, username: str, address: str) -> _Subjects:
        return cls(username, f"pair:{address} {username}", f"address:{address}", f"name:{username}")


class _Locked(Exception):
    def __init__(self, until: datetime) -> None:
        self.until = until


def _take_attempt(ctx: Context, subjects: _Subjects, now: datetime) -> int:
    """Count this attempt in the (name, address), address and name counters; the pair's count.

    Raises ``_Locked`` (rolling back whatever was counted) when one of them is full. The name-wide counter
    does not apply from an address this name signed in from within ``login_known_address_days``: an
    attacker spraying from many addresses cannot lock an admin out of their usual place.
    Counters are taken in a fixed order (pair, address, name), so parallel attempts never deadlock.
    """
    s = ctx.settings
    window = timedelta(minutes=s.login_lockout_minutes)
    t = login_throttle.c
    with ctx.db.write() as conn:
        signed_in_at = conn.execute(select(t.signed_in_at).where(t.subject == subjects.pair)).scalar_one_or_none()
        known = signed_in_at is not None and signed_in_at > now - timedelta(days=s.login_known_address_days)
        pair_failures = _count(conn, subjects.pair, s.login_max_failures, now, window)
        _count(conn, subjects.address, s.login_max_failures_per_address, now, window)
        if not known:
            _count(conn, subjects.name, s.login_max_failures_per_username, now, window)
        return pair_failures


def _count(conn: Connection, subject: str, limit: int, now: datetime, window: timedelta) -> int:
    """One more attempt on ``subject`` unless its window already holds ``limit`` (one guarded upsert, so
    parallel attempts cannot all read "limit - 1"); the new count, or ``_Locked`` until the window ends."""
    t = login_throttle.c
    stale = t.window_started_at <= now - window
    stmt = insert_for(conn, login_throttle).values(subject=subject, failures=1, window_started_at=now)
    failures = conn.execute(stmt.on_conflict_do_update(
        index_elements=["subject"],
        set_={"failures": case((stale, 1), else_=t.failures + 1),
              "window_started_at": case((stale, now), else_=t.window_started_at)},
        where=or_(stale, t.failures < limit),
    ).returning(t.failures)).scalar_one_or_none()
    if failures is None:
        started = conn.execute(select(t.window_started_at).where(t.subject == subject)).scalar_one()
        raise _Locked(started + window)
    return failures


def _give_back(conn: Connection, subjects: _Subjects, now: datetime) -> None:
    """A right password returns the slots it took (the failures before it stay counted until their window
    ends) and makes its address a known one for this name."""
    t = login_throttle.c
    conn.execute(update(login_throttle)
                 .where(t.subject.in_([subjects.pair, subjects.address, subjects.name]), t.failures > 0)
                 .values(failures=t.failures - 1))
    conn.execute(update(login_throttle).where(t.subject == subjects.pair).values(signed_in_at=now))


def _forget_old(ctx: Context, conn: Connection, now: datetime) -> None:
    """Housekeeping at each sign-in: counters whose window is over and that mark no known address."""
    t = login_throttle.c
    window = timedelta(minutes=ctx.settings.login_lockout_minutes)
    known_since = now - timedelta(days=ctx.settings.login_known_address_days)
    conn.execute(delete(login_throttle).where(
        t.window_started_at <= now - window, or_(t.signed_in_at.is_(None), t.signed_in_at <= known_since)))


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
