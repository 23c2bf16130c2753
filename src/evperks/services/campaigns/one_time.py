"""The one-time grant (一次性发放): at ``issue_at`` every bound member gets one package, in binding
order, until the budget runs out.

It runs in set-based batches, one transaction each: lock the campaign row; one INSERT … SELECT of
package rows for the next bound members (binding order) that have none yet, at most the packages
left; one guarded UPDATE of the budget by the batch's count; one INSERT … SELECT of vouchers per
reward line (validity computed once per template: every voucher is issued at the same instant);
one INSERT … SELECT of messages. A crash loses at most the open batch, which rolls back whole; the
package rows' unique (campaign, member, 'one_time', '') and "members without a package" make a
rerun continue exactly where the last committed batch stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import JSON, Connection, and_, cast, func, insert, literal, select, text, true, union_all, update

from evperks.db.tables import (
    campaign_members,
    campaign_packages,
    campaigns,
    messages,
    voucher_templates,
    vouchers,
)
from evperks.db.upsert import insert_for
from evperks.services.campaigns.packages import end_campaign
from evperks.services.context import Context
from evperks.services.messages import queue_webhooks
from evperks.services.vouchers import template_validity_period

log = logging.getLogger("evperks.campaigns")
BATCH_SIZE = 5000
TRIGGER = "one_time"


def run_one_time_grant(ctx: Context, campaign_id: int, *, batch_size: int = BATCH_SIZE,
                       after_batch: Callable[[int], None] | None = None) -> dict:
    """Give every bound member without a package one, batch by batch; safe to rerun at any point.
    ``after_batch(n)`` is called after the n-th committed batch (tests use it to simulate a crash)."""
    now = ctx.clock.now()
    batches = given = 0
    after = None
    while True:
        with ctx.db.write() as conn:
            if after is None:
                after = _resume_point(conn, campaign_id)
            outcome = _grant_batch(conn, ctx, campaign_id, batch_size, now, after)
        if outcome is None:
            break
        count, after = outcome
        if count == 0:
            continue  # a window of members already given a package: move on
        batches += 1
        given += count
        if after_batch is not None:
            after_batch(batches)
    log.info("campaign %s: one-time grant gave %s packages in %s batches", campaign_id, given, batches)
    return {"campaign_id": campaign_id, "packages": given, "batches": batches}


def _resume_point(conn: Connection, campaign_id: int) -> int:
    """The binding id of the last member given a package (0 before the first batch). Binding closes at
    issue_at, so the members with a package are always a prefix of the binding order."""
    cm, p = campaign_members.c, campaign_packages.c
    last = conn.execute(
        select(func.max(cm.id)).select_from(campaign_packages)
        .join(campaign_members, and_(cm.campaign_id == p.campaign_id, cm.member_id == p.member_id))
        .where(p.campaign_id == campaign_id, p.trigger == TRIGGER)
    ).scalar_one_or_none()
    return last or 0


def _grant_batch(conn: Connection, ctx: Context, campaign_id: int, batch_size: int, now: datetime,
                 after: int) -> tuple[int, int] | None:
    """One batch of the bound members after binding id ``after``: (packages given, the new resume
    point); None when the campaign cannot give (not active, or out of budget)."""
    # Taking the row lock first makes batches of one campaign run one after another on every node.
    # A scheduled campaign whose start has come is started here (as its start job would), so the
    # grant never depends on which of the two jobs due at the same instant runs first.
    campaign = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(("scheduled", "active")),
               campaigns.c.start_at <= now, campaigns.c.end_at > now)
        .values(status="active", updated_at=now)
        .returning(campaigns.c.total_packages, campaigns.c.packages_given, campaigns.c.name, campaigns.c.reward)
    ).first()
    if campaign is None:  # stopped, ended, or not yet started: nothing to give
        return None
    room = min(batch_size, campaign.total_packages - campaign.packages_given)
    if room <= 0:
        return None
    templates = _templates(conn, ctx, campaign.reward, now)
    cm, p = campaign_members.c, campaign_packages.c
    # A keyset window over the binding order: (after, upto]. A member who somehow has the package
    # already is skipped by the unique key behind ON CONFLICT. (No NOT EXISTS here: on PostgreSQL, with
    # statistics gone stale during a large grant, it was planned as a scan of every package per member.)
    upto = conn.execute(
        select(cm.id).where(cm.campaign_id == campaign_id, cm.id > after).order_by(cm.id).offset(room - 1).limit(1)
    ).scalar_one_or_none()
    window = [cm.campaign_id == campaign_id, cm.id > after] + ([cm.id <= upto] if upto is not None else [])
    pending = (
        select(literal(campaign_id), cm.member_id, literal(TRIGGER), literal(""), literal(now, p.created_at.type))
        .where(*window)
        .order_by(cm.id)
    )
    next_after = upto if upto is not None else conn.execute(
        select(func.coalesce(func.max(cm.id), after)).where(cm.campaign_id == campaign_id)).scalar_one()
    ids = conn.execute(
        insert_for(conn, campaign_packages)
        .from_select(["campaign_id", "member_id", "trigger", "ref", "created_at"], pending)
        .on_conflict_do_nothing(index_elements=["campaign_id", "member_id", "trigger", "ref"])
        .returning(p.id)
    ).scalars().all()
    if not ids:
        return (0, next_after) if upto is not None else None
    count = len(ids)
    spent = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.packages_given + count <= campaigns.c.total_packages)
        .values(packages_given=campaigns.c.packages_given + count)
        .returning(campaigns.c.packages_given, campaigns.c.total_packages)
    ).first()
    if spent is None:  # cannot happen under the row lock; never give beyond the budget regardless
        raise RuntimeError(f"campaign {campaign_id}: budget guard refused a batch of {count}")
    # Under the campaign's row lock, this campaign's packages with ids in the range are this batch's
    # (a one-time campaign has no other packages); only the primary key range is usable here.
    batch = and_(p.campaign_id == campaign_id, p.id.between(min(ids), max(ids)))
    for item in campaign.reward:
        _insert_vouchers(conn, templates[item["template_id"]], item["quantity"], campaign_id, batch, now)
    _insert_messages(conn, ctx, campaign_id, campaign.name, batch, now)
    if spent.packages_given == spent.total_packages:
        end_campaign(conn, campaign_id=campaign_id, reason="exhausted", now=now)
    return count, next_after


def _templates(conn: Connection, ctx: Context, reward: list[dict], now: datetime) -> dict:
    """The reward's templates by id, each with the validity period every voucher of this grant gets."""
    ids = [item["template_id"] for item in reward]
    rows = {r.id: r for r in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(ids)))}
    out = {}
    for template_id in ids:
        row = rows[template_id]
        out[template_id] = (row, *template_validity_period(row, now, ctx.zone))  # WindowClosed fails the job: retried, logged
    return out


def _json_param(conn: Connection, value):
    """A JSON value as a parameter of a SELECT list (PostgreSQL needs the type said out loud)."""
    if conn.dialect.name == "postgresql":
        return cast(literal(value, JSON), JSON)
    return literal(value, JSON)


def _insert_vouchers(conn: Connection, template_entry, quantity: int, campaign_id: int, batch, now: datetime) -> None:
    template, valid_from, valid_until = template_entry
    copies = union_all(*[select(literal(n).label("n")) for n in range(quantity)]).subquery("copies")
    p, v = campaign_packages.c, vouchers.c
    columns = {
        "member_id": p.member_id,
        "template_id": literal(template.id),
        "name": literal(template.name),
        "face_value_fen": literal(template.face_value_fen),
        "deduction_type": literal(template.deduction_type),
        "station_ids": _json_param(conn, template.station_ids),
        "min_spend_fen": literal(template.min_spend_fen),
        "valid_from": literal(valid_from, v.valid_from.type),
        "valid_until": literal(valid_until, v.valid_until.type),
        "status": literal("available"),
        "source_kind": literal("campaign"),
        "campaign_id": literal(campaign_id),
        "package_id": p.id,
        "issued_at": literal(now, v.issued_at.type),
    }
    rows = (
        select(*columns.values()).select_from(campaign_packages).join(copies, true())
        .where(batch).order_by(p.id, copies.c.n)
    )
    conn.execute(insert(vouchers).from_select(list(columns), rows))


def _insert_messages(conn: Connection, ctx: Context, campaign_id: int, name: str | None, batch, now: datetime) -> None:
    """One voucher_received message per package, shaped as grant_package posts it."""
    p = campaign_packages.c
    data = text(_message_json(conn.dialect.name)).bindparams(campaign_id_json=campaign_id, campaign_name_json=name or "")
    rows = (select(p.member_id, literal("voucher_received"), data, literal(now, messages.c.created_at.type))
            .select_from(campaign_packages).where(batch).order_by(p.id))
    statement = insert(messages).from_select(["member_id", "type", "data", "created_at"], rows)
    if not ctx.settings.webhook_url:
        conn.execute(statement)
        return
    posted = conn.execute(statement.returning(messages.c.id, messages.c.member_id, messages.c.data)).all()
    queue_webhooks(conn, ctx, type="voucher_received", posted=posted, now=now)


def _message_json(dialect: str) -> str:
    ids = "SELECT v.id FROM vouchers v WHERE v.package_id = campaign_packages.id ORDER BY v.id"
    if dialect == "postgresql":
        return ("json_build_object('campaign_id', CAST(:campaign_id_json AS BIGINT), 'campaign_name', "
                f"CAST(:campaign_name_json AS TEXT), 'voucher_ids', (SELECT coalesce(json_agg(x.id), '[]') FROM ({ids}) x))")
    return ("json_object('campaign_id', :campaign_id_json, 'campaign_name', :campaign_name_json, "
            f"'voucher_ids', json((SELECT json_group_array(x.id) FROM ({ids}) x)))")

