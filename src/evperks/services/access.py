"""API keys for server-to-server calls and admin users for the console."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import admin_users, api_keys
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid

KEY_ROLES = ("platform", "admin")
ADMIN_ROLES = ("admin", "operator", "viewer")
_hasher = PasswordHasher()


def hash_key(key: str) -> str:
    """Keys carry 256 random bits, so one fast hash is enough; it keeps the lookup cheap per request."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(ctx: Context, *, name: str, role: str) -> str:
    """A new key, returned once in clear; only its hash is stored."""
    if role not in KEY_ROLES:
        raise Invalid("role must be one of %(roles)s", field="role", code="access.role_unknown", roles=", ".join(KEY_ROLES))
    key = "evp_" + secrets.token_urlsafe(32)
    with ctx.db.write() as conn:
        conn.execute(
            insert(api_keys).values(
                name=name, role=role, prefix=key[:12], key_hash=hash_key(key), created_at=ctx.clock.now()
            )
        )
    return key


def role_of_key(ctx: Context, key: str) -> str | None:
    with ctx.db.read() as conn:
        return conn.execute(
            select(api_keys.c.role).where(api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None))
        ).scalar_one_or_none()


def create_admin_user(ctx: Context, *, username: str, password: str, role: str = "admin") -> None:
    if role not in ADMIN_ROLES:
        raise Invalid("role must be one of %(roles)s", field="role", code="access.role_unknown", roles=", ".join(ADMIN_ROLES))
    if not username.strip() or len(username) > 64:
        raise Invalid("must be 1 to 64 characters", field="username", code="access.username_length")
    if len(password) < 8:
        raise Invalid("must be at least 8 characters", field="password", code="access.password_too_short")
    try:
        with ctx.db.write() as conn:
            conn.execute(
                insert(admin_users).values(
                    username=username.strip(),
                    password_hash=_hasher.hash(password),
                    role=role,
                    created_at=ctx.clock.now(),
                )
            )
    except IntegrityError as exc:
        raise Conflict("admin user %(username)r already exists", field="username", code="access.username_taken",
                       username=username) from exc


def verify_admin_password(ctx: Context, *, username: str, password: str) -> str | None:
    """The user's role when the password is right, else None."""
    with ctx.db.read() as conn:
        row = conn.execute(
            select(admin_users.c.password_hash, admin_users.c.role).where(admin_users.c.username == username)
        ).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return row.role
