"""A campaign's life: draft → scheduled → active → ended (expired | exhausted | stopped).

A draft may be incomplete and changes freely. Publishing checks everything at once and schedules the
campaign's jobs at their exact instants in the same transaction. Once published, only changes that
cannot take back what was promised are allowed: the rules text, a later end, a larger budget.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, exists, insert, select, update

from evperks.db.schedule import enqueue
from evperks.db.tables import campaign_members, campaigns, voucher_templates
from evperks.domain.timecal import as_utc
from evperks.domain.units import InvalidEnergy, kwh_to_wh
from evperks.services import audit
from evperks.services.campaigns.jobkeys import CAMPAIGN_END, CAMPAIGN_START, ONE_TIME_GRANT, task_key
from evperks.services.campaigns.model import Draft, campaign_out, energy_metric
from evperks.services.campaigns.packages import end_campaign
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound, Reason
from evperks.services.pagination import newest_first

FIELDS = ("type", "name", "start_at", "end_at", "issue_at", "rules_text", "total_packages", "reward", "tiers",
          "metric", "progress_reminder", "countdown_days")
PUBLISHED_EDITABLE = ("rules_text", "end_at", "total_packages")


# --- drafts ----------------------------------------------------------------------------------------

def create_campaign(ctx: Context, *, fields: dict, actor: str = "system") -> dict:
    """Save a draft; only ``type`` is required."""
    now = ctx.clock.now()
    columns = _columns(fields, campaign_type=fields["type"], metric=fields.get("metric"), zone=ctx.zone)
    columns.setdefault("reward", [])
    columns.setdefault("tiers", [])
    with ctx.db.write() as conn:
        campaign_id = conn.execute(
            insert(campaigns).values(**columns, status="draft", created_at=now, updated_at=now)
        ).inserted_primary_key[0]
        return _audited(conn, campaign_id, "create", None, actor=actor, now=now)


def update_campaign(ctx: Context, campaign_id: int, *, changes: dict, actor: str = "system") -> dict:
    """A draft takes any change (``None`` clears a field); a published campaign only safe ones."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        row = _row(conn, campaign_id, lock=True)
        if row.status == "draft":
            _update_draft(conn, row, changes, ctx, now)
        else:
            _update_published(conn, row, changes, ctx, now)
        return _audited(conn, campaign_id, "update", campaign_out(row), actor=actor, now=now)


def _update_draft(conn: Connection, row, changes: dict, ctx: Context, now: datetime) -> None:
    if changes.get("type", row.type) is None:
        raise Invalid("a campaign needs a type", field="type")
    campaign_type = changes.get("type", row.type)
    metric = changes.get("metric", row.metric)
    reinterpreted = campaign_type != row.type or metric != row.metric
    stale = [(f, f"send {f} again when changing type or metric") for f in ("tiers", "progress_reminder")
             if reinterpreted and f not in changes and getattr(row, f) not in (None, [])]
    if stale:
        raise Invalid.fields(stale)
    columns = _columns(changes, campaign_type=campaign_type, metric=metric, zone=ctx.zone)
    if columns:
        conn.execute(update(campaigns).where(campaigns.c.id == row.id).values(**columns, updated_at=now))


def _update_published(conn: Connection, row, changes: dict, ctx: Context, now: datetime) -> None:
    columns = _columns(changes, campaign_type=row.type, metric=row.metric, zone=ctx.zone)
    changed = {name: value for name, value in columns.items() if value != getattr(row, name)}
    if not changed:
        return
    if row.status == "ended":
        raise _conflict([(name, "the campaign has ended and can no longer change") for name in changed])
    refused = [(name, "cannot change once published (only rules_text, a later end_at and a larger "
                      "total_packages can)") for name in changed if name not in PUBLISHED_EDITABLE]
    if "end_at" in changed and (changed["end_at"] is None or changed["end_at"] <= row.end_at):
        refused.append(("end_at", "can only move later once published"))
    elif "end_at" in changed and changed["end_at"] <= now:
        refused.append(("end_at", "must be in the future"))
    if "total_packages" in changed and (changed["total_packages"] is None or changed["total_packages"] < row.total_packages):
        refused.append(("total_packages", "can only grow once published"))
    if refused:
        raise _conflict(refused)
    if "rules_text" in changed and not (changed["rules_text"] or "").strip():
        raise Invalid("is required", field="rules_text")
    stmt = update(campaigns).where(campaigns.c.id == row.id, campaigns.c.status.in_(("scheduled", "active")))
    if "total_packages" in changed:  # guarded: never below what was already given
        stmt = stmt.where(campaigns.c.packages_given <= changed["total_packages"])
    if conn.execute(stmt.values(**changed, updated_at=now)).rowcount != 1:
        raise Conflict("the campaign changed meanwhile; read it again")
    if "end_at" in changed:
        # The old end job still fires at the old instant, sees the later end_at and does nothing.
        _enqueue(conn, CAMPAIGN_END, row.id, changed["end_at"])


def _conflict(errors: list[tuple[str, str]]) -> Conflict:
    error = Conflict("Not allowed in the campaign's state: " + ", ".join(f for f, _ in errors))
    error.errors = [Reason(f, None, m) for f, m in errors]
    return error


def _columns(values: dict, *, campaign_type: str, metric: str | None, zone) -> dict:
    """API values → stored columns: instants in UTC, consumption amounts in Wh or fen by metric."""
    columns: dict = {}
    errors: list[tuple[str, str]] = []
    energy = energy_metric(campaign_type, metric)
    for name, value in values.items():
        if name not in FIELDS:
            raise ValueError(f"not a campaign field: {name}")
        if isinstance(value, datetime):
            value = as_utc(value, zone)
        elif name in ("name", "rules_text") and value is not None:
            value = value.strip() or None
        elif name in ("reward", "tiers") and value is None:
            value = []  # a cleared list is an empty one: publishing then names it as missing
        elif name == "tiers":
            value = [_tier(tier, i, campaign_type, metric, energy, errors) for i, tier in enumerate(value)]
        elif name == "progress_reminder" and value is not None:
            value = _amount(value, "progress_reminder", campaign_type, metric, energy, errors)
        columns[name] = value
    if errors:
        raise Invalid.fields(errors)
    return columns


def _tier(tier: dict, i: int, campaign_type: str, metric, energy: bool, errors: list) -> dict:
    stored = {key: value for key, value in tier.items() if value is not None}
    stored["reward"] = list(tier.get("reward") or [])
    if campaign_type == "consumption" and "min_amount_fen" in stored:
        errors.append((f"tiers.{i}.min_amount_fen", "consumption tiers use threshold"))
    if campaign_type == "recharge" and "threshold" in stored:
        errors.append((f"tiers.{i}.threshold", "recharge tiers use min_amount_fen"))
    if "threshold" in stored:
        stored["threshold"] = _amount(stored["threshold"], f"tiers.{i}.threshold", campaign_type, metric, energy, errors)
    return stored


def _amount(value, field: str, campaign_type: str, metric, energy: bool, errors: list):
    """A consumption amount: kWh (number or decimal string, ≤ 3 decimals) → Wh, or whole fen."""
    if campaign_type != "consumption":
        if field == "progress_reminder" and (isinstance(value, bool) or not isinstance(value, int)):
            errors.append((field, "only consumption campaigns have it (set type and metric first)"))
            return None
        return value
    if metric is None:
        errors.append((field, "set metric (energy or amount) first: it says whether this is kWh or fen"))
        return None
    if energy:
        try:
            return kwh_to_wh(value)
        except InvalidEnergy as exc:
            errors.append((field, f"kWh {exc}"))
            return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append((field, "must be a whole number of fen"))
        return None
    return value


# --- reading ---------------------------------------------------------------------------------------

def get_campaign(ctx: Context, campaign_id: int) -> dict:
    with ctx.db.read() as conn:
        return campaign_out(_row(conn, campaign_id))


def list_campaigns(ctx: Context, *, type: str | None = None, status: str | None = None, limit: int = 50,
                   cursor: str | None = None) -> dict:
    """Campaigns, newest first."""
    stmt = select(campaigns)
    if type:
        stmt = stmt.where(campaigns.c.type == type)
    if status:
        stmt = stmt.where(campaigns.c.status == status)
    with ctx.db.read() as conn:
        rows, next_cursor = newest_first(conn, stmt, campaigns.c.id, limit=limit, cursor=cursor)
    return {"items": [campaign_out(r) for r in rows], "next_cursor": next_cursor}


def _audited(conn: Connection, campaign_id: int, action: str, before: dict | None, *, actor: str, now: datetime) -> dict:
    """The campaign as it is now, after recording the change in the audit log."""
    after = campaign_out(_row(conn, campaign_id))
    audit.record(conn, actor=actor, action=action, target_type="campaign", target_id=campaign_id,
                 before=before, after=after, at=now)
    return after


def _row(conn: Connection, campaign_id: int, *, lock: bool = False):
    stmt = select(campaigns).where(campaigns.c.id == campaign_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    return row


# --- publishing and stopping -----------------------------------------------------------------------

def publish_campaign(ctx: Context, campaign_id: int, *, actor: str = "system") -> dict:
    """Check every field at once; then scheduled (or active when start_at has come) with its jobs."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        row = _row(conn, campaign_id, lock=True)
        if row.status != "draft":
            raise Conflict(f"the campaign is {row.status}; only a draft can be published", field="status")
        draft = Draft.from_row(row)
        kind = CAMPAIGN_TYPES[draft.type]
        issue_at = (draft.issue_at or draft.start_at) if draft.type == "one_time" else None
        errors = _common_errors(draft, now) + kind.validate(draft) + _template_errors(conn, draft, now, issue_at)
        if kind.REQUIRES_MEMBERS and not conn.execute(
            select(exists().where(campaign_members.c.campaign_id == campaign_id))
        ).scalar():
            errors.append(("members", "bind at least one member first"))
        if errors:
            raise Invalid.fields(errors, "The campaign cannot be published: " + ", ".join(dict.fromkeys(f for f, _ in errors)))
        status = "active" if draft.start_at <= now else "scheduled"
        conn.execute(
            update(campaigns).where(campaigns.c.id == campaign_id)
            .values(status=status, issue_at=issue_at, published_at=now, updated_at=now)
        )
        if status == "scheduled":
            _enqueue(conn, CAMPAIGN_START, campaign_id, draft.start_at)
        _enqueue(conn, CAMPAIGN_END, campaign_id, draft.end_at)
        if issue_at is not None:
            _enqueue(conn, ONE_TIME_GRANT, campaign_id, issue_at)
        return _audited(conn, campaign_id, "publish", campaign_out(row), actor=actor, now=now)


def stop_campaign(ctx: Context, campaign_id: int, *, actor: str = "system") -> dict:
    """End a scheduled or active campaign now (stopped). A draft was never started: 409."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        row = _row(conn, campaign_id, lock=True)
        if row.status not in ("scheduled", "active"):
            raise Conflict(f"the campaign is {row.status}; only a scheduled or active campaign can be stopped",
                           field="status")
        end_campaign(conn, campaign_id=campaign_id, reason="stopped", now=now)
        return _audited(conn, campaign_id, "stop", campaign_out(row), actor=actor, now=now)


def _enqueue(conn: Connection, kind: str, campaign_id: int, run_at: datetime) -> None:
    enqueue(conn, kind=kind, task_key=task_key(kind, campaign_id), run_at=run_at, payload={"campaign_id": campaign_id})


def _common_errors(draft: Draft, now: datetime) -> list[tuple[str, str]]:
    errors = []
    if not draft.name:
        errors.append(("name", "is required"))
    if draft.start_at is None:
        errors.append(("start_at", "is required"))
    if draft.end_at is None:
        errors.append(("end_at", "is required"))
    elif draft.start_at is not None and draft.end_at <= draft.start_at:
        errors.append(("end_at", "must be after start_at"))
    elif draft.end_at <= now:
        errors.append(("end_at", "must be in the future"))
    if not draft.rules_text:
        errors.append(("rules_text", "is required"))
    if draft.total_packages is None:
        errors.append(("total_packages", "is required"))
    elif draft.total_packages < 1:
        errors.append(("total_packages", "must be at least 1"))
    return errors


def _template_errors(conn: Connection, draft: Draft, now: datetime, issue_at: datetime | None) -> list[tuple[str, str]]:
    """Every template named must exist, be enabled and still be issuable (a window not yet closed)."""
    named = [(f"reward.{i}.template_id", item.get("template_id")) for i, item in enumerate(draft.reward)]
    for t, tier in enumerate(draft.tiers):
        named += [(f"tiers.{t}.reward.{i}.template_id", item.get("template_id"))
                  for i, item in enumerate(tier.get("reward") or [])]
    ids = {template_id for _, template_id in named if isinstance(template_id, int)}
    templates = {r.id: r for r in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(ids)))}
    errors = []
    for field, template_id in named:
        template = templates.get(template_id)
        if template is None:
            errors.append((field, f"voucher template {template_id} does not exist"))
        elif not template.enabled:
            errors.append((field, f"voucher template {template_id} is disabled"))
        elif template.validity_type == "window" and template.window_end <= max(now, issue_at or now):
            errors.append((field, f"voucher template {template_id}'s validity window ends before it could be issued"))
    return errors


# --- the scheduled instants ------------------------------------------------------------------------

def start_due(ctx: Context, campaign_id: int) -> dict:
    """Job: a scheduled campaign whose start_at has come becomes active."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        started = conn.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id, campaigns.c.status == "scheduled", campaigns.c.start_at <= now)
            .values(status="active", updated_at=now)
        ).rowcount
    return {"campaign_id": campaign_id, "started": started == 1}


def end_due(ctx: Context, campaign_id: int) -> dict:
    """Job: a campaign whose *current* end_at has come ends (expired). A job left behind at an end_at
    that was later moved finds end_at still ahead and does nothing."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        due = conn.execute(
            select(campaigns.c.id).where(campaigns.c.id == campaign_id, campaigns.c.end_at <= now)
        ).first()
        ended = due is not None and end_campaign(conn, campaign_id=campaign_id, reason="expired", now=now)
    return {"campaign_id": campaign_id, "ended": bool(ended)}
