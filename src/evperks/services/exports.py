"""The console's CSV exports, read in keyset batches: members (a search), issued vouchers, a campaign's
recipients (its packages) and charge orders.

Each generator yields one batch of rows at a time in primary-key order (member id, voucher id, package
id, order number), and reads each batch in its own short read transaction: a download of 10⁶ rows holds neither 10⁶ rows in memory nor a pooled connection while
a slow client reads (a server-side cursor would hold one for the whole download). Rows committed
during an export appear in it or not, as with any paged read; none repeats and none is skipped, because
the keys never change. The primary key, not the registration time, orders the batches: its index serves
``WHERE key > :last ORDER BY key LIMIT n`` on both engines, so the 1000th batch costs what the first
did (a time order without a (time, id) index would sort the rest of the table for every batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, func, select

from evperks.db.tables import campaign_packages, charge_orders, member_tags, members, stations, vouchers
from evperks.services.context import Context
from evperks.services.member_search import MemberFilter

BATCH = 1000
MEMBER_COLUMNS = ("id", "phone", "nickname", "channel", "registered_at", "invite_code", "invited_by", "charge_count",
                  "total_wh", "total_paid_fen", "last_charge_at", "wallet_balance_fen", "points_balance")  # rows per read (and per IN list of tags: within SQLite's bound-parameter limit)


def member_batches(ctx: Context, flt: MemberFilter) -> Iterator[list]:
    """Every member ``flt`` finds, by member id, each row with its ``tags`` (a list)."""
    def with_tags(conn, rows: list) -> list:
        # The batch is a range of ids: one range read of the tags' primary key, not an IN list of 1000.
        tags: dict[str, list[str]] = {}
        for member_id, tag in conn.execute(
            select(member_tags.c.member_id, member_tags.c.tag)
            .where(member_tags.c.member_id.between(rows[0].id, rows[-1].id)).order_by(member_tags.c.tag)
        ):
            tags.setdefault(member_id, []).append(tag)
        return [(r, tags.get(r.id, [])) for r in rows]

    stmt = select(*(members.c[name] for name in MEMBER_COLUMNS)).where(flt.where())
    return _batches(ctx, stmt, members.c.id, with_tags)


def voucher_batches(ctx: Context, *, template_id: int | None = None) -> Iterator[list]:
    """Issued vouchers (of one template when given), in issue order, with the member's phone."""
    stmt = select(vouchers, members.c.phone).join(members, members.c.id == vouchers.c.member_id)
    if template_id is not None:
        stmt = stmt.where(vouchers.c.template_id == template_id)
    return _batches(ctx, stmt, vouchers.c.id)


def recipient_batches(ctx: Context, campaign_id: int) -> Iterator[list]:
    """The packages a campaign gave, in order: who, why, when, how many vouchers, revoked or not."""
    voucher_count = (select(func.count()).where(vouchers.c.package_id == campaign_packages.c.id)
                     .correlate(campaign_packages).scalar_subquery())
    stmt = (
        select(campaign_packages, members.c.phone, members.c.nickname, voucher_count.label("voucher_count"))
        .join(members, members.c.id == campaign_packages.c.member_id)
        .where(campaign_packages.c.campaign_id == campaign_id)
    )
    return _batches(ctx, stmt, campaign_packages.c.id)


def order_batches(ctx: Context, *, settled_from: datetime | None = None,
                  settled_to: datetime | None = None) -> Iterator[list]:
    """Charge orders settled in ``[settled_from, settled_to)``, by order number, with phone and station name."""
    stmt = (
        select(charge_orders, members.c.phone, stations.c.name.label("station_name"))
        .join(members, members.c.id == charge_orders.c.member_id)
        .join(stations, stations.c.id == charge_orders.c.station_id)
    )
    if settled_from is not None:
        stmt = stmt.where(charge_orders.c.settled_at >= settled_from)
    if settled_to is not None:
        stmt = stmt.where(charge_orders.c.settled_at < settled_to)
    return _batches(ctx, stmt, charge_orders.c.order_no)


def _batches(ctx: Context, stmt: Select, key, with_conn=None) -> Iterator[list]:
    """``stmt`` in ascending order of ``key`` (a primary key: its index drives every batch, so each costs
    the same however deep the export is), BATCH rows per read transaction, each batch yielded after its
    transaction ended; ``with_conn(conn, rows)`` completes a batch inside it."""
    after = None
    while True:
        batch = stmt.where(key > after) if after is not None else stmt
        with ctx.db.read() as conn:
            rows = conn.execute(batch.order_by(key).limit(BATCH)).all()
            done = with_conn(conn, rows) if with_conn and rows else rows
        if rows:
            yield done
        if len(rows) < BATCH:
            return
        after = rows[-1]._mapping[key]
