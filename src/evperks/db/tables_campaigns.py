"""Campaigns (活动), the members bound to them, the packages they gave, progress, and member messages."""

from __future__ import annotations

from sqlalchemy import (
           JSON,
           BigInteger,
           Boolean,
           CheckConstraint,
           Column,
           ForeignKey,
           Index,
           Integer,
           String,
           Table,
           Text,
           UniqueConstraint,
           text,
)

from evperks.db.base import BigId, metadata
from evperks.db.types import UTCDateTime
from evperks.domain.campaigns import EndedReason, Status

__all__ = ["campaign_members", "campaign_packages", "campaign_progress", "campaigns", "messages", "outbox",
           "referral_rewards"]


def _one_of(values) -> str:
    """``'a', 'b'`` for a CHECK's ``IN (…)``: the enum or registry is the one list of allowed values."""
    return ", ".join(f"'{value}'" for value in values)


campaigns = Table(
    "campaigns",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # One of the registered types (services.campaigns.types): the registry checks it, not the database.
    Column("type", String(20), nullable=False),
    Column("status", String(10), nullable=False, server_default=Status.DRAFT.value),
    Column("ended_reason", String(10), nullable=True),
    # A draft may be incomplete; publishing checks every field.
    Column("name", String(100), nullable=True),
    Column("start_at", UTCDateTime(), nullable=True),
    Column("end_at", UTCDateTime(), nullable=True),
    Column("issue_at", UTCDateTime(), nullable=True),
    Column("rules_text", Text, nullable=True),
    Column("total_packages", Integer, nullable=True),
    # The budget: only ever changed by one guarded UPDATE (packages_given < total_packages).
    Column("packages_given", Integer, nullable=False, server_default="0"),
    Column("reward", JSON, nullable=False),
    Column("tiers", JSON, nullable=False),
    Column("metric", String(10), nullable=True),
    Column("progress_reminder", BigInteger, nullable=True),
    Column("countdown_days", Integer, nullable=True),
    # Referral safeguards: the invitee's order that counts, and the inviter's cap per campaign (NULL: none).
    Column("min_first_charge_wh", BigInteger, nullable=True),
    Column("min_first_charge_paid_fen", BigInteger, nullable=True),
    Column("max_rewards_per_inviter", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    CheckConstraint(f"status IN ({_one_of(Status)})", name="status"),
    CheckConstraint(f"ended_reason IS NULL OR ended_reason IN ({_one_of(EndedReason)})", name="ended_reason"),
    CheckConstraint("packages_given >= 0 AND (total_packages IS NULL OR packages_given <= total_packages)",
                    name="within_budget"),
    Index("ix_campaigns_type_status", "type", "status"),
)

campaign_members = Table(
    "campaign_members",
    metadata,
    # The id is the binding order, which a one-time grant follows.
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("campaign_id", BigId, ForeignKey("campaigns.id"), nullable=False),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("bound_at", UTCDateTime(), nullable=False),
    UniqueConstraint("campaign_id", "member_id", name="uq_campaign_members_campaign_id_member_id"),
)

campaign_packages = Table(
    "campaign_packages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("campaign_id", BigId, ForeignKey("campaigns.id"), nullable=False),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    # Why it was given, unique per campaign and member: registration, referral (ref: invitee id),
    # recharge (ref: recharge order_no), one_time, tier (ref: tier index).
    Column("trigger", String(20), nullable=False),
    Column("ref", String(100), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    # Set when a refund revoked the package (none of its vouchers used): it no longer counts against
    # the budget nor blocks the same reward being earned again.
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by_refund", String(64), nullable=True),
    Index("uq_campaign_packages_once", "campaign_id", "member_id", "trigger", "ref", unique=True,
          sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    Index("ix_campaign_packages_trigger_ref", "trigger", "ref"),
)

referral_rewards = Table(
    "referral_rewards",
    metadata,
    # One reward per invitee, ever, whichever campaign paid it.
    Column("invitee_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("inviter_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("campaign_id", BigId, ForeignKey("campaigns.id"), nullable=False),
    Column("package_id", BigId, ForeignKey("campaign_packages.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

campaign_progress = Table(
    "campaign_progress",
    metadata,
    Column("campaign_id", BigId, ForeignKey("campaigns.id"), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("accumulated", BigInteger, nullable=False, server_default="0"),  # Wh or fen, by metric
    Column("tiers_reached", Integer, nullable=False, server_default="0"),
    # The tier whose progress reminder was sent (each tier's reminder goes once).
    Column("reminded_tier", Integer, nullable=True),
    Column("countdown_sent", Boolean, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime(), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("type", String(30), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
    Index("ix_messages_member_id_id", "member_id", "id"),
    # The unread ones only (counts and marking read): it shrinks as members read their messages.
    Index("ix_messages_member_id_unread", "member_id", "id",
          sqlite_where=text("read_at IS NULL"), postgresql_where=text("read_at IS NULL")),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # The id a webhook receiver sees; the same on every retry.
    Column("event_id", String(36), nullable=False, unique=True),
    Column("message_id", BigId, ForeignKey("messages.id"), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_delivered_at_next_attempt_at", "delivered_at", "next_attempt_at"),
)
