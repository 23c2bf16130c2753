"""Giving packages, set-based: one member's (a registration, a settlement, a recharge) and a one-time
grant's batch of bound members go through the same statements.

A member's package in a SAVEPOINT of the caller's transaction, a batch in its own transaction: one
INSERT of the package rows (unique per campaign, member, trigger and ref, so a retry or a parallel
duplicate gives nothing twice) returning their ids;
one guarded UPDATE of the budget by their count (``packages_given + n <= total_packages`` on an active
campaign: never beyond it, never read-then-write); one INSERT … SELECT of vouchers per reward line, each
a snapshot of its template with the validity computed once (every voucher of the call is issued at the
same instant); one INSERT … SELECT of the ``voucher_received`` messages, their voucher ids gathered
by the database. The last package ends the campaign. When the budget refuses, nothing of it remains.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    Text,
    and_,
    cast,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.sql import Select

from evperks.db.tables import campaign_members, campaign_packages, campaigns, messages, voucher_templates, vouchers
from evperks.db.upsert import insert_for
from evperks.domain.campaign_events import BoundMembers
from evperks.domain.campaigns import EndedReason, Status
from evperks.domain.vouchers import WindowClosed
from evperks.services.context import Context
from evperks.services.outbox import queue_webhooks
from evperks.services.results import Result, result
from evperks.services.vouchers import template_validity_period, voucher_snapshot

MESSAGE = "voucher_received"
_ONCE = ["campaign_id", "member_id", "trigger", "ref"]


class Unissuable(Exception):  # noqa: N818 - the reason a package cannot be given, not a failure of the code
    """A reward template no longer exists or its validity window has closed."""


@result
class Issued(Result):
    campaign_id: int
    package_ids: list[int]
    # The vouchers of a single member's package (a window of bound members does not read its own back).
    voucher_ids: list[int]
    # For a window of bound members: the binding id it ended at, and whether it reached the last one.
    through: int | None = None
    last: bool = True

    def rewards(self) -> list[dict]:
        """``[{campaign_id, voucher_ids}]`` for a member's package, as a settlement or a recharge reports it."""
        return [{"campaign_id": self.campaign_id, "voucher_ids": self.voucher_ids}] if self.package_ids else []


def voucher_received(campaign_id, campaign_name, voucher_ids) -> dict:
    """The message a member gets with a package (values or the SQL expressions computing them)."""
    return {"campaign_id": campaign_id, "campaign_name": campaign_name, "voucher_ids": voucher_ids}


def issue(conn: Connection, ctx: Context, *, campaign_id: int, to: str | BoundMembers, trigger: str, reward: list[dict],
          now: datetime, ref: str = "") -> Issued | None:
    """One package of ``reward`` for ``to`` (a member, or a window of bound members); None when the
    budget refuses. Raises Unissuable (before writing anything) when a template cannot be issued now.
    A window of bound members is only issued under the campaign's row lock (its package ids are then
    a range nobody else writes in), where the budget, checked by the caller, cannot refuse."""
    templates = issuable_templates(conn, ctx, reward, now)
    recipients, through, last = _recipients(conn, campaign_id, to, trigger, ref, now)
    one_member = not isinstance(to, BoundMembers)
    # A batch is its own transaction, and fails whole: only one member's package needs a savepoint.
    with conn.begin_nested() if one_member else nullcontext() as savepoint:
        package_ids = _insert_packages(conn, recipients)
        if not package_ids:
            if savepoint is not None:
                savepoint.rollback()
            return Issued(campaign_id, [], [], through, last)
        budget = conn.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id, campaigns.c.status == Status.ACTIVE,
                   campaigns.c.packages_given + len(package_ids) <= campaigns.c.total_packages)
            .values(packages_given=campaigns.c.packages_given + len(package_ids), updated_at=now)
            .returning(campaigns.c.packages_given, campaigns.c.total_packages, campaigns.c.name)
        ).first()
        if budget is None:
            if not one_member:  # cannot happen under the row lock; never give beyond the budget regardless
                raise RuntimeError(f"campaign {campaign_id}: budget guard refused a batch of {len(package_ids)}")
            savepoint.rollback()
            return None
        if budget.packages_given == budget.total_packages:
            end_campaign(conn, campaign_id=campaign_id, reason=EndedReason.EXHAUSTED, now=now)
        p = campaign_packages.c
        batch = and_(p.campaign_id == campaign_id, p.id.between(package_ids[0], package_ids[-1]))
        voucher_ids: list[int] = []
        for item in reward:
            voucher_ids += _insert_vouchers(conn, templates[item["template_id"]], item["quantity"], campaign_id,
                                            batch, now, returning=one_member)
        _post_received(conn, ctx, campaign_id, budget.name, batch, now)
    return Issued(campaign_id, package_ids, sorted(voucher_ids), through, last)


def end_campaign(conn: Connection, *, campaign_id: int, reason: str, now: datetime) -> bool:
    """Move a scheduled or active campaign to ended with ``reason``; False when it had already ended."""
    ended = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_((Status.SCHEDULED, Status.ACTIVE)))
        .values(status=Status.ENDED, ended_reason=reason, ended_at=now, updated_at=now)
    ).rowcount
    return ended == 1


def issuable_templates(conn: Connection, ctx: Context, reward: list[dict], now: datetime) -> dict:
    """The reward's templates by id, each as (row, valid_from, valid_until) for a voucher issued ``now``."""
    ids = {item["template_id"] for item in reward}
    rows = {r.id: r for r in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(ids)))}
    if len(rows) != len(ids):
        raise Unissuable(f"reward template(s) {sorted(ids - set(rows))} do not exist")
    try:
        return {row.id: (row, *template_validity_period(row, now, ctx.zone)) for row in rows.values()}
    except WindowClosed as exc:
        raise Unissuable("a reward template's validity window has closed") from exc


def _post_received(conn: Connection, ctx: Context, campaign_id: int, name: str | None, batch, now: datetime) -> None:
    """One ``voucher_received`` message per package in ``batch``, computed by the database from the
    vouchers just inserted (one statement for one package or five thousand)."""
    p, v = campaign_packages.c, vouchers.c
    ids = select(v.id).where(v.package_id == p.id).order_by(v.id).correlate(campaign_packages).subquery("ids")
    data = _json_object(conn, voucher_received(_param(conn, campaign_id, BigInteger()), _param(conn, name, Text()),
                                               _json_array(conn, ids.c.id)))
    rows = (select(p.member_id, literal(MESSAGE), data, literal(now, messages.c.created_at.type))
            .select_from(campaign_packages).where(batch).order_by(p.id))
    statement = insert(messages).from_select(["member_id", "type", "data", "created_at"], rows)
    if not ctx.settings.webhook_url:
        conn.execute(statement)
        return
    posted = conn.execute(statement.returning(messages.c.id, messages.c.member_id, messages.c.data)).all()
    queue_webhooks(conn, ctx, type=MESSAGE, posted=posted, now=now)


def _json_object(conn: Connection, fields: dict):
    """A JSON object built in SQL from ``{key: expression}``."""
    build = func.json_build_object if conn.dialect.name == "postgresql" else func.json_object
    return build(*[part for key, value in fields.items() for part in (literal_column(f"'{key}'"), value)])


def _json_array(conn: Connection, column):
    """A JSON array of a subquery's column (its order kept), ``[]`` when it has no rows."""
    if conn.dialect.name == "postgresql":
        return select(func.coalesce(func.json_agg(column), literal_column("'[]'::json"))).scalar_subquery()
    return func.json(select(func.json_group_array(column)).scalar_subquery())


def _recipients(conn: Connection, campaign_id: int, to: str | BoundMembers, trigger: str, ref: str, now: datetime):
    """The package rows to insert (a list, or a SELECT of them), the binding id a window ends at, and
    whether it reached the last bound member."""
    if not isinstance(to, BoundMembers):
        return [{"campaign_id": campaign_id, "member_id": to, "trigger": trigger, "ref": ref, "created_at": now}], None, True
    cm, p = campaign_members.c, campaign_packages.c
    # A keyset window over the binding order: (after, upto]. A member who somehow has the package
    # already is skipped by the unique key behind ON CONFLICT. (No NOT EXISTS here: on PostgreSQL, with
    # statistics gone stale during a large grant, it was planned as a scan of every package per member.)
    upto = conn.execute(
        select(cm.id).where(cm.campaign_id == campaign_id, cm.id > to.after).order_by(cm.id)
        .offset(to.limit - 1).limit(1)
    ).scalar_one_or_none()
    window = [cm.campaign_id == campaign_id, cm.id > to.after] + ([cm.id <= upto] if upto is not None else [])
    rows = (
        select(literal(campaign_id), cm.member_id, literal(trigger), literal(ref), literal(now, p.created_at.type))
        .where(*window)
        .order_by(cm.id)
    )
    through = upto if upto is not None else conn.execute(
        select(func.coalesce(func.max(cm.id), to.after)).where(cm.campaign_id == campaign_id)).scalar_one()
    return rows, through, upto is None


def _insert_packages(conn: Connection, recipients: list[dict] | Select) -> list[int]:
    """The ids of the packages inserted, ascending; a (campaign, member, trigger, ref) that already has
    its package is skipped."""
    p = campaign_packages.c
    statement = insert_for(conn, campaign_packages)
    if isinstance(recipients, list):
        statement = statement.values(recipients)
    else:
        statement = statement.from_select(["campaign_id", "member_id", "trigger", "ref", "created_at"], recipients)
    # The uniqueness is partial (a revoked package no longer counts), so the conflict target names its predicate.
    done = statement.on_conflict_do_nothing(index_elements=_ONCE, index_where=p.revoked_at.is_(None))
    return sorted(conn.execute(done.returning(p.id)).scalars())


def _insert_vouchers(conn: Connection, template_entry, quantity: int, campaign_id: int, batch, now: datetime, *,
                     returning: bool) -> list[int]:
    """``quantity`` vouchers of the template for every package in ``batch``; with ``returning``, their ids."""
    template, valid_from, valid_until = template_entry
    snapshot = voucher_snapshot(template, valid_from, valid_until, now=now, source_kind="campaign")
    p, v = campaign_packages.c, vouchers.c
    # Columns left NULL are left out: a bare NULL in a SELECT list has no type PostgreSQL could insert.
    columns = {name: _param(conn, value, v[name].type) for name, value in snapshot.items() if value is not None}
    columns |= {"member_id": p.member_id, "campaign_id": literal(campaign_id), "package_id": p.id}
    copies = union_all(*[select(literal(n).label("n")) for n in range(quantity)]).subquery("copies")
    rows = (
        select(*columns.values()).select_from(campaign_packages).join(copies, true())
        .where(batch).order_by(p.id, copies.c.n)
    )
    statement = insert(vouchers).from_select(list(columns), rows)
    if not returning:
        conn.execute(statement)
        return []
    return list(conn.execute(statement.returning(v.id)).scalars())


def _param(conn: Connection, value, type_):
    """A value as a parameter of a SELECT list (PostgreSQL needs the type of a JSON one, and of any
    passed on to a JSON function, said out loud)."""
    if isinstance(type_, JSON | Text | BigInteger) and conn.dialect.name == "postgresql":
        return cast(literal(value, type_), type_)
    return literal(value, type_)
