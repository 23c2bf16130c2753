"""The console's CSV exports, read in keyset batches: members (a search), issued vouchers, a campaign's
recipients (its packages) and charge orders.

Each generator yields one batch of rows at a time, newest first, and reads each batch in its own short
read transaction: a download of 10⁶ rows holds neither 10⁶ rows in memory nor a pooled connection while
a slow client reads (a server-side cursor would hold one for the whole download). Rows committed
during an export appear in it or not, as with any paged read; none repeats and none is skipped, because
the keys (newest first, a unique tie-breaker last) never change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, func, select

from evperks.db.tables import campaign_packages, charge_orders, members, stations, vouchers
from evperks.services.context import Context
from evperks.services.member_search import MemberFilter
from evperks.services.members_store import tags_of
from evperks.services.pagination import after_desc

BATCH = 1000  # rows per read (and per IN list of tags: within SQLite's bound-parameter limit)


def member_batches(ctx: Context, flt: MemberFilter) -> Iterator[list]:
    """Every member ``flt`` finds, newest registration first, each row with its ``tags`` (a list)."""
    def with_tags(conn, rows: list) -> list:
        tags = tags_of(conn, [r.id for r in rows])
        return [(r, tags.get(r.id, [])) for r in rows]

    return _batches(ctx, select(members).where(flt.where()), [members.c.registered_at, members.c.id], with_tags)


def voucher_batches(ctx: Context, *, template_id: int | None = None) -> Iterator[list]:
    """Issued vouchers (of one template when given), newest first, with the member's phone."""
    stmt = select(vouchers, members.c.phone).join(members, members.c.id == vouchers.c.member_id)
    if template_id is not None:
        stmt = stmt.where(vouchers.c.template_id == template_id)
    return _batches(ctx, stmt, [vouchers.c.id])


def recipient_batches(ctx: Context, campaign_id: int) -> Iterator[list]:
    """The packages a campaign gave, newest first: who, why, when, how many vouchers, revoked or not."""
    voucher_count = (select(func.count()).where(vouchers.c.package_id == campaign_packages.c.id)
                     .correlate(campaign_packages).scalar_subquery())
    stmt = (
        select(campaign_packages, members.c.phone, members.c.nickname, voucher_count.label("voucher_count"))
        .join(members, members.c.id == campaign_packages.c.member_id)
        .where(campaign_packages.c.campaign_id == campaign_id)
    )
    return _batches(ctx, stmt, [campaign_packages.c.id])


def order_batches(ctx: Context, *, settled_from: datetime | None = None,
                  settled_to: datetime | None = None) -> Iterator[list]:
    """Charge orders settled in ``[settled_from, settled_to)``, newest first, with phone and station name."""
    stmt = (
        select(charge_orders, members.c.phone, stations.c.name.label("station_name"))
        .join(members, members.c.id == charge_orders.c.member_id)
        .join(stations, stations.c.id == charge_orders.c.station_id)
    )
    if settled_from is not None:
        stmt = stmt.where(charge_orders.c.settled_at >= settled_from)
    if settled_to is not None:
        stmt = stmt.where(charge_orders.c.settled_at < settled_to)
    return _batches(ctx, stmt, [charge_orders.c.settled_at, charge_orders.c.order_no])


def _batches(ctx: Context, stmt: Select, keys: list, with_conn=None) -> Iterator[list]:
    """``stmt`` in descending ``keys`` order, BATCH rows per read transaction, each batch yielded after
    its transaction ended; ``with_conn(conn, rows)`` completes a batch inside it."""
    after: list | None = None
    while True:
        batch = stmt.where(after_desc(keys, after)) if after is not None else stmt
        with ctx.db.read() as conn:
            rows = conn.execute(batch.order_by(*(k.desc() for k in keys)).limit(BATCH)).all()
            done = with_conn(conn, rows) if with_conn and rows else rows
        if rows:
            yield done
        if len(rows) < BATCH:
            return
        after = [rows[-1]._mapping[k] for k in keys]
