"""The two web faces: admin console sessions, login throttling, the audit log, and SMS codes for H5 sign-up."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, String, Table

from evperks.db.base import BigId, metadata
from evperks.db.types import UTCDateTime

__all__ = ["admin_sessions", "audit_log", "login_throttle", "sms_codes"]

admin_sessions = Table(
    "admin_sessions",
    metadata,
    # sha256 of the cookie's random token: a database leak gives no usable session.
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    # One counter per subject: "name:<username>", "address:<client address>" or "pair:<address> <username>",
    # keyed by the name typed, known or not, so a lock-out never tells which usernames exist.
    Column("subject", String(200), primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("window_started_at", UTCDateTime(), nullable=False),
    # Pair rows only: the last successful sign-in of that name from that address (a known address).
    Column("signed_in_at", UTCDateTime(), nullable=True),
    CheckConstraint("failures >= 0", name="failures_not_negative"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("target_type", String(30), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Index("ix_audit_log_target", "target_type", "target_id"),
    Index("ix_audit_log_actor", "actor", "id"),
)

sms_codes = Table(
    "sms_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("phone", String(11), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("consumed_at", UTCDateTime(), nullable=True),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index("ix_sms_codes_phone_created_at", "phone", "created_at"),
)
