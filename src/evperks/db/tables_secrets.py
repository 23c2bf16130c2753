"""Signing secrets the operator did not set: generated once, shared by every node (services.signing_keys)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, text

from evperks.db.base import metadata
from evperks.db.types import UTCDateTime

__all__ = ["secrets_table"]

secrets_table = Table(  # not "secrets": that would shadow the standard library module where both are used
    "secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("secret", String(64), nullable=False),  # urlsafe text of 32 random bytes; its UTF-8 is the HMAC key
    Column("created_at", UTCDateTime(), nullable=False),
    # Set together when a newer version takes over: the old one is still accepted until valid_until.
    Column("retired_at", UTCDateTime(), nullable=True),
    Column("valid_until", UTCDateTime(), nullable=True),
    CheckConstraint("version > 0", name="version_positive"),
    CheckConstraint("(retired_at IS NULL) = (valid_until IS NULL)", name="retired_with_end"),
    # At most one current (unretired) version per name, whatever two nodes do at once.
    Index("uq_secrets_current", "name", unique=True, sqlite_where=text("retired_at IS NULL"),
          postgresql_where=text("retired_at IS NULL")),
)
