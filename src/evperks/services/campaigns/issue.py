"""Giving packages, set-based: one member's (a registration, a settlement, a recharge) and a one-time
grant's batch of bound members go through the same statements.

Inside a SAVEPOINT of the caller's transaction: one INSERT of the package rows (unique per campaign,
member, trigger and ref, so a retry or a parallel duplicate gives nothing twice) returning their ids;
one guarded UPDATE of the budget by their count (``packages_given + n <= total_packages`` on an active
campaign: never beyond it, never read-then-write); one INSERT … SELECT of vouchers per reward line, each
a snapshot of its template with the validity computed once (every voucher of the call is issued at the
same instant); one batched INSERT of the ``voucher_received`` messages. The last package ends the
campaign. When the budget refuses, nothing of it remains.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import JSON, Connection, and_, cast, func, insert, literal, select, true, union_all, update
from sqlalchemy.sql import Select

from evperks.db.tables import campaign_members, campaign_packages, campaigns, voucher_templates, vouchers
from evperks.db.upsert import insert_for
from evperks.domain.campaign_events import BoundMembers
from evperks.domain.campaigns import EndedReason, Status
from evperks.domain.vouchers import WindowClosed
from evperks.services.context import Context
from evperks.services.messages import post_messages
from evperks.services.results import Result, result
from evperks.services.vouchers import template_validity_period, voucher_snapshot

MESSAGE = "voucher_received"
_ONCE = ["campaign_id", "member_id", "trigger", "ref"]


class Unissuable(Exception):  # noqa: N818 - the reason a package cannot be given, not a failure of the code
    """A reward template no longer exists or its validity window has closed."""


@result
class IssuedPackage(Result):
    package_id: int
    member_id: str
    voucher_ids: list[int]


@result
class Issued(Result):
    campaign_id: int
    packages: list[IssuedPackage]
    # For a window of bound members: the binding id it ended at, and whether it reached the last one.
    through: int | None = None
    last: bool = True

    def rewards(self) -> list[dict]:
        """``[{campaign_id, voucher_ids}]``, one per package, as a settlement or a recharge reports them."""
        return [{"campaign_id": self.campaign_id, "voucher_ids": p.voucher_ids} for p in self.packages]


def voucher_received(campaign_id: int, campaign_name: str | None, voucher_ids: list[int]) -> dict:
    """The message a member gets with a package."""
    return {"campaign_id": campaign_id, "campaign_name": campaign_name, "voucher_ids": voucher_ids}


def issue(conn: Connection, ctx: Context, *, campaign_id: int, to: str | BoundMembers, trigger: str, reward: list[dict],
          now: datetime, ref: str = "") -> Issued | None:
    """One package of ``reward`` for ``to`` (a member, or a window of bound members); None when the
    budget refuses. Raises Unissuable (before writing anything) when a template cannot be issued now.
    A window of bound members is only issued under the campaign's row lock (its package ids are then
    a range nobody else writes in), where the budget, checked by the caller, cannot refuse."""
    templates = issuable_templates(conn, ctx, reward, now)
    recipients, through, last = _recipients(conn, campaign_id, to, trigger, ref, now)
    with conn.begin_nested() as savepoint:
        packages = _insert_packages(conn, recipients)
        if not packages:
            savepoint.rollback()
            return Issued(campaign_id, [], through, last)
        budget = conn.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id, campaigns.c.status == Status.ACTIVE,
                   campaigns.c.packages_given + len(packages) <= campaigns.c.total_packages)
            .values(packages_given=campaigns.c.packages_given + len(packages), updated_at=now)
            .returning(campaigns.c.packages_given, campaigns.c.total_packages, campaigns.c.name)
        ).first()
        if budget is None:
            if isinstance(to, BoundMembers):  # cannot happen under the row lock; never give beyond the budget regardless
                raise RuntimeError(f"campaign {campaign_id}: budget guard refused a batch of {len(packages)}")
            savepoint.rollback()
            return None
        if budget.packages_given == budget.total_packages:
            end_campaign(conn, campaign_id=campaign_id, reason=EndedReason.EXHAUSTED, now=now)
        p = campaign_packages.c
        batch = and_(p.campaign_id == campaign_id, p.id.between(packages[0][0], packages[-1][0]))
        voucher_ids: dict[int, list[int]] = defaultdict(list)
        for item in reward:
            for voucher_id, package_id in _insert_vouchers(conn, templates[item["template_id"]], item["quantity"],
                                                           campaign_id, batch, now):
                voucher_ids[package_id].append(voucher_id)
        given = [IssuedPackage(package_id, member_id, sorted(voucher_ids[package_id]))
                 for package_id, member_id in packages]
        post_messages(conn, ctx, type=MESSAGE, now=now, entries=[
            (g.member_id, voucher_received(campaign_id, budget.name, g.voucher_ids)) for g in given])
    return Issued(campaign_id, given, through, last)


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


def _insert_packages(conn: Connection, recipients: list[dict] | Select) -> list[tuple[int, str]]:
    """(package id, member id) of the packages inserted, by id; a (campaign, member, trigger, ref) that
    already has its package is skipped."""
    p = campaign_packages.c
    statement = insert_for(conn, campaign_packages)
    if isinstance(recipients, list):
        statement = statement.values(recipients)
    else:
        statement = statement.from_select(["campaign_id", "member_id", "trigger", "ref", "created_at"], recipients)
    rows = conn.execute(statement.on_conflict_do_nothing(index_elements=_ONCE).returning(p.id, p.member_id)).all()
    return sorted((row.id, row.member_id) for row in rows)


def _insert_vouchers(conn: Connection, template_entry, quantity: int, campaign_id: int, batch,
                     now: datetime) -> list[tuple[int, int]]:
    """``quantity`` vouchers of the template for every package in ``batch``; their (id, package id)."""
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
    return conn.execute(insert(vouchers).from_select(list(columns), rows).returning(v.id, v.package_id)).all()


def _param(conn: Connection, value, type_):
    """A value as a parameter of a SELECT list (PostgreSQL needs a JSON one's type said out loud)."""
    if isinstance(type_, JSON) and conn.dialect.name == "postgresql":
        return cast(literal(value, type_), type_)
    return literal(value, type_)
