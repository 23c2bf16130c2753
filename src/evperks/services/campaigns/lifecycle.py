"""A campaign's life, as use cases (each opens its one transaction): save a draft, change it, publish,
stop, and the jobs at its start and end instants.

What may change and when is decided by the domain (``domain.campaigns``, ``domain.campaign_rules``)
and the campaign's type module; the rows are read and written through ``campaigns.store``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from evperks.db.tables import campaigns
from evperks.domain.campaign_rules import common_refusals
from evperks.domain.campaigns import EDITABLE_ONCE_PUBLISHED, Campaign, EndedReason, Reason, Status
from evperks.services import audit_store
from evperks.services.campaigns import store
from evperks.services.campaigns.issue import end_campaign
from evperks.services.campaigns.jobkeys import CAMPAIGN_END, CAMPAIGN_START, ONE_TIME_GRANT
from evperks.services.campaigns.model import CampaignOut, CampaignPage, campaign_out, stored_columns
from evperks.services.campaigns.publish_check import Published, publish_figures
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.pagination import NumberedPage, numbered
from evperks.services.results import Result, result

PUBLISHED_EDITABLE = EDITABLE_ONCE_PUBLISHED  # the console's form sends only these once published


@result
class Started(Result):
    campaign_id: int
    started: bool


@result
class Ended(Result):
    campaign_id: int
    ended: bool


# --- drafts ----------------------------------------------------------------------------------------

def create_campaign(ctx: Context, *, fields: dict, actor: str = "system") -> CampaignOut:
    """Save a draft; only ``type`` is required."""
    now = ctx.clock.now()
    columns = _columns(fields, campaign_type=fields["type"], metric=fields.get("metric"), ctx=ctx)
    columns.setdefault("reward", [])
    columns.setdefault("tiers", [])
    with ctx.db.write() as conn:
        campaign_id = store.insert_draft(conn, columns, now=now)
        return store.audited(conn, campaign_id, "create", None, actor=actor, now=now)


def update_campaign(ctx: Context, campaign_id: int, *, changes: dict, actor: str = "system") -> CampaignOut:
    """A draft takes any change (``None`` clears a field); a published campaign only safe ones."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        campaign, before = store.read(conn, campaign_id, lock=True)
        if campaign.is_draft:
            _update_draft(conn, campaign, changes, ctx, now)
        else:
            _update_published(conn, campaign, changes, ctx, now)
        return store.audited(conn, campaign_id, "update", before, actor=actor, now=now)


def _update_draft(conn: Connection, campaign: Campaign, changes: dict, ctx: Context, now: datetime) -> None:
    if refusal := campaign.draft_type_refusal(changes):
        raise Invalid.because(refusal)
    if stale := campaign.draft_change_refusals(changes):
        raise Invalid.fields(stale)
    columns = _columns(changes, campaign_type=changes.get("type", campaign.type),
                       metric=changes.get("metric", campaign.metric), ctx=ctx)
    store.write_draft(conn, campaign.id, columns, now=now)


def _update_published(conn: Connection, campaign: Campaign, changes: dict, ctx: Context, now: datetime) -> None:
    changed = campaign.changed(_columns(changes, campaign_type=campaign.type, metric=campaign.metric, ctx=ctx))
    if not changed:
        return
    if refused := campaign.published_change_refusals(changed, now):
        raise Conflict.fields(refused, "Not allowed in the campaign's state: " + ", ".join(r.field for r in refused),
                              code="campaign.change_refused")
    if invalid := campaign.published_value_refusals(changed):
        raise Invalid.because(invalid[0])
    if not store.write_published_change(conn, campaign.id, changed, now=now):
        raise Conflict("the campaign changed meanwhile; read it again", code="campaign.changed_meanwhile")
    if "end_at" in changed:
        # The old end job still fires at the old instant, sees the later end_at and does nothing.
        store.schedule(conn, CAMPAIGN_END, campaign.id, changed["end_at"])


def _columns(values: dict, *, campaign_type: str, metric: str | None, ctx: Context) -> dict:
    columns, refused = stored_columns(values, campaign_type=campaign_type, metric=metric, zone=ctx.zone)
    if refused:
        raise Invalid.fields(refused)
    return columns


# --- reading ---------------------------------------------------------------------------------------

def get_campaign(ctx: Context, campaign_id: int) -> CampaignOut:
    with ctx.db.read() as conn:
        return campaign_out(store.read_row(conn, campaign_id))


def list_campaigns(ctx: Context, *, type: str | None = None, status: str | None = None, limit: int = 50,
                   cursor: str | None = None) -> CampaignPage:
    """Campaigns, newest first."""
    with ctx.db.read() as conn:
        rows, next_cursor = store.newest_rows(conn, type=type, status=status, limit=limit, cursor=cursor)
    return CampaignPage(items=[campaign_out(r) for r in rows], next_cursor=next_cursor)


def list_campaigns_numbered(ctx: Context, *, type: str | None = None, status: str | None = None,
                            name: str | None = None, page: int, size: int) -> NumberedPage[CampaignOut]:
    """活动列表: page ``page``, newest first, with the total; ``name`` finds names containing it."""
    with ctx.db.read() as conn:
        rows, counts = numbered(conn, store.campaigns_query(type=type, status=status, name=name),
                                [campaigns.c.id.desc()], page=page, size=size)
    return NumberedPage(items=[campaign_out(r) for r in rows], **counts)


# --- publishing and stopping -----------------------------------------------------------------------

def publish_campaign(ctx: Context, campaign_id: int, *, actor: str = "system") -> Published:
    """Check every field at once; then scheduled (or active when start_at has come) with its jobs. The
    answer carries what publishing warns about without refusing (``publish_check``)."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        campaign, before = store.read(conn, campaign_id, lock=True)
        if refusal := campaign.publish_refusal():
            raise Conflict.because(refusal)
        kind = CAMPAIGN_TYPES[campaign.type]
        issue_at = (campaign.issue_at or campaign.start_at) if kind.GRANTS_AT_ISSUE_AT else None
        refused = (common_refusals(campaign, now) + kind.validate(campaign)
                   + _template_refusals(conn, campaign, now, issue_at))
        if kind.REQUIRES_MEMBERS and not store.has_members(conn, campaign_id):
            refused.append(Reason.of("members", "campaign.members_required", "bind at least one member first"))
        if refused:
            raise Invalid.fields(refused, "The campaign cannot be published: "
                                 + ", ".join(dict.fromkeys(r.field for r in refused)), code="campaign.not_publishable")
        warnings = publish_figures(conn, campaign).warnings
        status = campaign.status_when_published(now)
        store.mark_published(conn, campaign_id, status=status, issue_at=issue_at, now=now)
        if status == Status.SCHEDULED:
            store.schedule(conn, CAMPAIGN_START, campaign_id, campaign.start_at)
        store.schedule(conn, CAMPAIGN_END, campaign_id, campaign.end_at)
        if issue_at is not None:
            store.schedule(conn, ONE_TIME_GRANT, campaign_id, issue_at)
        published = store.audited(conn, campaign_id, "publish", before, actor=actor, now=now)
        return Published(**dict(published), warnings=warnings)


def delete_draft(ctx: Context, campaign_id: int, *, actor: str = "system") -> None:
    """A draft (never published, so it gave nothing) is deleted with its bound members; anything else
    is 409: a published campaign's record stays."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        campaign, before = store.read(conn, campaign_id, lock=True)
        if refusal := campaign.delete_refusal():
            raise Conflict.because(refusal)
        store.delete_draft(conn, campaign_id)
        audit_store.record(conn, actor=actor, action="delete", target_type="campaign", target_id=campaign_id,
                           before=before.as_dict(), after=None, at=now)


def stop_campaign(ctx: Context, campaign_id: int, *, actor: str = "system") -> CampaignOut:
    """End a scheduled or active campaign now (stopped). A draft was never started: 409."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        campaign, before = store.read(conn, campaign_id, lock=True)
        if refusal := campaign.stop_refusal():
            raise Conflict.because(refusal)
        end_campaign(conn, campaign_id=campaign_id, reason=EndedReason.STOPPED, now=now)
        return store.audited(conn, campaign_id, "stop", before, actor=actor, now=now)


def _template_refusals(conn: Connection, campaign: Campaign, now: datetime, issue_at: datetime | None) -> list[Reason]:
    """Every template named must exist, be enabled and still be issuable (a window not yet closed)."""
    named = [(f"reward.{i}.template_id", item.get("template_id")) for i, item in enumerate(campaign.reward)]
    for t, tier in enumerate(campaign.tiers):
        named += [(f"tiers.{t}.reward.{i}.template_id", item.get("template_id"))
                  for i, item in enumerate(tier.get("reward") or [])]
    templates = store.templates_by_id(conn, {template_id for _, template_id in named if isinstance(template_id, int)})
    refused = []
    for field, template_id in named:
        template = templates.get(template_id)
        if template is None:
            refused.append(Reason.of(field, "campaign.template_missing", "voucher template %(id)s does not exist",
                                      id=template_id))
        elif not template.enabled:
            refused.append(Reason.of(field, "campaign.template_disabled", "voucher template %(id)s is disabled",
                                      id=template_id))
        elif template.validity_type == "window" and template.window_end <= max(now, issue_at or now):
            refused.append(Reason.of(field, "campaign.template_window_closed",
                                      "voucher template %(id)s's validity window ends before it could be issued",
                                      id=template_id))
    return refused


# --- the scheduled instants ------------------------------------------------------------------------

def start_due(ctx: Context, campaign_id: int) -> Started:
    """Job: a scheduled campaign whose start_at has come becomes active."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        started = store.start_if_due(conn, campaign_id, now=now)
    return Started(campaign_id=campaign_id, started=started)


def end_due(ctx: Context, campaign_id: int) -> Ended:
    """Job: a campaign whose *current* end_at has come ends (expired). A job left behind at an end_at
    that was later moved finds end_at still ahead and does nothing."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        campaign = store.find(conn, campaign_id)
        ended = (campaign is not None and campaign.due_to_end(now)
                 and end_campaign(conn, campaign_id=campaign_id, reason=EndedReason.EXPIRED, now=now))
    return Ended(campaign_id=campaign_id, ended=bool(ended))
