"""Campaigns as values: their states, why one ended, and the rules of their life. Pure; no database.

A campaign moves draft → scheduled → active → ended (published straight to active when its start has
passed); a draft may also be deleted. Everything that names a state uses these enums, never a string.

A draft may be incomplete and changes freely. Once published, only changes that cannot take back what
was promised are allowed: the rules text, a later end, a larger budget. What publishing checks is in
``domain.campaign_rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from evperks.domain.reasons import Reason
from evperks.domain.timecal import local_date, start_of_local_day


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


class EndedReason(StrEnum):
    EXPIRED = "expired"      # its end_at passed
    EXHAUSTED = "exhausted"  # its last package was given
    STOPPED = "stopped"      # an operator stopped it


class Metric(StrEnum):
    """What a consumption campaign accumulates: kWh (stored as Wh) or fen paid."""

    ENERGY = "energy"
    AMOUNT = "amount"


# Published and not yet ended: it may still start, give packages, change safely or be stopped.
LIVE = (Status.SCHEDULED, Status.ACTIVE)
# Published (scheduled, active or ended): it has promised its rewards.
PUBLISHED = (Status.SCHEDULED, Status.ACTIVE, Status.ENDED)
# The fields an operator sets (the rest — status, budget used, instants of its life — the engine does).
FIELDS = ("type", "name", "start_at", "end_at", "issue_at", "rules_text", "total_packages", "reward", "tiers",
          "metric", "progress_reminder", "countdown_days",
          # referral safeguards (the API's kWh is stored as min_first_charge_wh)
          "min_first_charge_kwh", "min_first_charge_paid_fen", "max_rewards_per_inviter")
# What a published campaign may still change: nothing a member was promised can be taken back.
EDITABLE_ONCE_PUBLISHED = ("rules_text", "end_at", "total_packages")


class MemberFacts(Protocol):
    """What a campaign type says about its bound members (see ``services.campaigns.types``)."""

    USES_MEMBERS: bool
    BINDING_WHILE_ACTIVE: bool
    GRANTS_AT_ISSUE_AT: bool


@dataclass(frozen=True)
class Campaign:
    """A stored campaign. Any operator field may still be missing in a draft; publishing names what is."""

    type: str
    status: Status = Status.DRAFT
    name: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    issue_at: datetime | None = None
    rules_text: str | None = None
    total_packages: int | None = None
    reward: list[dict] = field(default_factory=list)
    tiers: list[dict] = field(default_factory=list)
    metric: str | None = None
    progress_reminder: int | None = None
    countdown_days: int | None = None
    min_first_charge_wh: int | None = None
    min_first_charge_paid_fen: int | None = None
    max_rewards_per_inviter: int | None = None
    id: int | None = None
    ended_reason: EndedReason | None = None
    packages_given: int = 0

    @classmethod
    def from_row(cls, row) -> Campaign:
        stored = row._mapping if hasattr(row, "_mapping") else row
        values = {f.name: stored[f.name] for f in fields(cls) if f.name in stored}
        # Drafts saved before null was stored as [] hold a JSON null.
        values["reward"] = values.get("reward") or []
        values["tiers"] = values.get("tiers") or []
        values["status"] = Status(values.get("status") or Status.DRAFT)
        if values.get("ended_reason") is not None:
            values["ended_reason"] = EndedReason(values["ended_reason"])
        return cls(**values)

    # --- the state machine ---------------------------------------------------------------------------

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    def status_when_published(self, now: datetime) -> Status:
        """Published at ``now``: active when its start has come, scheduled until then."""
        return Status.ACTIVE if self.start_at <= now else Status.SCHEDULED

    def due_to_start(self, now: datetime) -> bool:
        return self.status == Status.SCHEDULED and self.start_at <= now

    def due_to_end(self, now: datetime) -> bool:
        """Its *current* end has come (an end moved later leaves its old end job nothing to do)."""
        return self.is_live and self.end_at is not None and self.end_at <= now

    def runs_at(self, instant: datetime) -> bool:
        """Whether it gives packages at ``instant``: active, and ``start_at ≤ instant < end_at``."""
        return (self.status == Status.ACTIVE and self.start_at is not None and self.end_at is not None
                and self.start_at <= instant < self.end_at)

    def publish_refusal(self) -> Reason | None:
        if self.is_draft:
            return None
        return Reason.of("status", "campaign.not_a_draft",
                          "the campaign is %(status)s; only a draft can be published", status=str(self.status))

    def delete_refusal(self) -> Reason | None:
        if self.is_draft:
            return None
        return Reason.of("status", "campaign.delete_not_draft",
                          "the campaign is %(status)s; only a draft can be deleted", status=str(self.status))

    def stop_refusal(self) -> Reason | None:
        if self.is_live:
            return None
        return Reason.of("status", "campaign.not_live",
                          "the campaign is %(status)s; only a scheduled or active campaign can be stopped",
                          status=str(self.status))

    def members_refusal(self, kind: MemberFacts, now: datetime) -> Reason | None:
        """Why its bound members cannot change now: the type binds nobody, it has ended, it is active and
        the type fixes its members then, or its one grant has started."""
        if not kind.USES_MEMBERS:
            return Reason.of("member_ids", "campaign.members_unused", "%(type)s campaigns do not use bound members",
                              type=self.type)
        if self.status == Status.ENDED or (self.status == Status.ACTIVE and not kind.BINDING_WHILE_ACTIVE):
            return Reason.of("status", "campaign.members_closed",
                              "the campaign is %(status)s; its members can no longer change", status=str(self.status))
        if kind.GRANTS_AT_ISSUE_AT and not self.is_draft and self.issue_at is not None and self.issue_at <= now:
            return Reason.of("status", "campaign.grant_started",
                              "the one-time grant has started; its members can no longer change")
        return None

    # --- changes ---------------------------------------------------------------------------------------

    def changed(self, values: Mapping[str, object]) -> dict[str, object]:
        """The stored ``values`` that differ from what the campaign holds."""
        return {name: value for name, value in values.items() if value != getattr(self, name)}

    def draft_type_refusal(self, changes: Mapping[str, object]) -> Reason | None:
        if changes.get("type", self.type) is None:
            return Reason.of("type", "campaign.type_required", "a campaign needs a type")
        return None

    def draft_change_refusals(self, changes: Mapping[str, object]) -> list[Reason]:
        """Tiers and the progress reminder are amounts in the type's and metric's unit: changing either
        would silently reinterpret them, so they must be sent again with the change."""
        reinterpreted = (changes.get("type", self.type) != self.type
                         or changes.get("metric", self.metric) != self.metric)
        if not reinterpreted:
            return []
        return [Reason.of(name, "campaign.send_again", "send %(field)s again when changing type or metric",
                           field=name)
                for name in ("tiers", "progress_reminder") if name not in changes and getattr(self, name) not in (None, [])]

    def published_change_refusals(self, changed: Mapping[str, object], now: datetime) -> list[Reason]:
        """Why a published campaign refuses ``changed`` for its state (an ended one takes nothing; a live
        one only a later end, a larger budget and new rules text); empty when the change is safe."""
        if self.status == Status.ENDED:
            return [Reason.of(name, "campaign.ended_unchangeable", "the campaign has ended and can no longer change")
                    for name in changed]
        refused = [Reason.of(name, "campaign.fixed_once_published",
                              "cannot change once published (only rules_text, a later end_at and a larger "
                              "total_packages can)")
                   for name in changed if name not in EDITABLE_ONCE_PUBLISHED]
        if "end_at" in changed and (changed["end_at"] is None or changed["end_at"] <= self.end_at):
            refused.append(Reason.of("end_at", "campaign.end_only_later", "can only move later once published"))
        elif "end_at" in changed and changed["end_at"] <= now:
            refused.append(Reason.of("end_at", "campaign.end_not_future", "must be in the future"))
        if "total_packages" in changed and (changed["total_packages"] is None
                                            or changed["total_packages"] < self.total_packages):
            refused.append(Reason.of("total_packages", "campaign.total_only_grows", "can only grow once published"))
        return refused

    def published_value_refusals(self, changed: Mapping[str, object]) -> list[Reason]:
        """A safe change whose value is still invalid: the rules text cannot be emptied."""
        if "rules_text" in changed and not (changed["rules_text"] or "").strip():
            return [Reason.of("rules_text", "campaign.required", "is required")]
        return []


def countdown_starts_at(end_at: datetime, countdown_days: int, zone: ZoneInfo) -> datetime:
    """00:00 of the local day on which the days left of a campaign ending at ``end_at`` become
    ``countdown_days`` (for a campaign ending at 00:00: exactly ``end_at`` - N days)."""
    last_day = local_date(end_at - timedelta(microseconds=1), zone)
    return start_of_local_day(last_day - timedelta(days=countdown_days - 1), zone)


# --- tiers ---
# A tiered campaign keeps its tiers as stored (``[{threshold | min_amount_fen, reward}]``, in the order the
# operator wrote them); these rules read them. Amounts are whole units (Wh or fen), never floats.


@dataclass(frozen=True)
class Tier:
    index: int  # the tier's position in the campaign's ``tiers`` (a tier package's ref)
    threshold: int
    reward: list


def sorted_tiers(tiers: list[dict], key: str = "threshold") -> list[Tier]:
    """The tiers by ascending ``key`` (``threshold`` or ``min_amount_fen``), each knowing its stored position."""
    return sorted((Tier(i, t[key], t["reward"]) for i, t in enumerate(tiers or [])), key=lambda t: t.threshold)


def reached_count(tiers: list[Tier], amount: int) -> int:
    """How many of the (sorted) tiers ``amount`` reaches."""
    return sum(1 for t in tiers if t.threshold <= amount)


def tier_for_amount(tiers: list[Tier], amount: int) -> Tier | None:
    """The highest (sorted) tier ``amount`` reaches; None below the lowest."""
    reached = reached_count(tiers, amount)
    return tiers[reached - 1] if reached else None


def tiers_crossed(tiers: list[Tier], reached_before: int, amount: int) -> list[Tier]:
    """The (sorted) tiers reached at ``amount`` beyond the first ``reached_before``: each one's package is due."""
    return tiers[reached_before:reached_count(tiers, amount)]


def days_left(end_at: datetime, now: datetime, zone: ZoneInfo) -> int:
    """The local calendar days, today included, on which the campaign still runs (0 once ended):
    a campaign ending at 2026-03-31 00:00 has 3 days left at any time on 2026-03-28, 1 on 2026-03-30."""
    if now >= end_at:
        return 0
    last_day = local_date(end_at - timedelta(microseconds=1), zone)
    return (last_day - local_date(now, zone)).days + 1


def tiers_reached_after_revoking(tiers: list[Tier], reached: int, *, revoked: set[int], kept: set[int]) -> int:
    """How many (sorted) tiers count as reached once a refund revoked the packages of the tiers at stored
    positions ``revoked`` and kept those at ``kept``: lowered to the lowest revoked tier, so that tier
    (and any above it) can be earned again, unless a higher tier's package was kept (then it stays, and
    no tier is given twice)."""
    if not revoked:
        return reached
    rank = {t.index: position for position, t in enumerate(tiers)}
    lowest = min(rank[i] for i in revoked if i in rank) if revoked & rank.keys() else reached
    if any(rank.get(i, -1) > lowest for i in kept):
        return reached
    return min(reached, lowest)
