"""In-transaction store functions of the mall: each takes the caller's open connection and does one
thing to the data; the counters change only by guarded statements, never read-then-write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, insert, or_, select, true, update

from evperks.db.tables import vouchers
from evperks.db.tables_mall import mall_exchange_counts, mall_items, points_exchanges
from evperks.db.upsert import insert_for
from evperks.services.campaigns.issue import issuable_templates
from evperks.services.context import Context
from evperks.services.errors import NotFound
from evperks.services.vouchers import voucher_snapshot

I, C = mall_items.c, mall_exchange_counts.c
SOURCE_KIND = "mall"


def item_row(conn: Connection, item_id: int, *, field: str | None = None, lock: bool = False):
    """The item's row (locked with ``lock``); 404 naming ``field`` when it does not exist."""
    query = select(mall_items).where(I.id == item_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("mall item %(id)s does not exist", field=field, code="mall.item_not_found", id=item_id)
    return row


def open_now(now: datetime):
    """The SQL condition of an item members can exchange at ``now``: enabled and inside its window."""
    return and_(I.enabled == true(), or_(I.start_at.is_(None), I.start_at <= now), or_(I.end_at.is_(None), I.end_at > now))


def take_one(conn: Connection, item_id: int, now: datetime) -> bool:
    """Take one from the stock of an open item, in one guarded statement; False when none is left (or
    the item closed meanwhile)."""
    taken = conn.execute(
        update(mall_items).where(I.id == item_id, I.stock_left >= 1, open_now(now))
        .values(stock_left=I.stock_left - 1)
    ).rowcount
    return taken == 1


def count_exchange(conn: Connection, *, item_id: int, member_id: str, limit: int | None) -> bool:
    """Count one more exchange of the item by the member, in one upsert guarded by ``count < limit``;
    False when the member has reached the limit."""
    statement = insert_for(conn, mall_exchange_counts).values(item_id=item_id, member_id=member_id, count=1)
    bump = {"count": C.count + 1}
    if limit is None:
        done = statement.on_conflict_do_update(index_elements=["item_id", "member_id"], set_=bump)
    else:
        done = statement.on_conflict_do_update(index_elements=["item_id", "member_id"], set_=bump,
                                               where=C.count < limit)
    return conn.execute(done.returning(C.count)).first() is not None


def exchanged_by(conn: Connection, member_id: str, item_ids: list[int]) -> dict[int, int]:
    """How often the member exchanged each of the items."""
    if not item_ids:
        return {}
    rows = conn.execute(select(C.item_id, C.count).where(C.member_id == member_id, C.item_id.in_(item_ids)))
    return {item_id: count for item_id, count in rows}


def issue_reward(conn: Connection, ctx: Context, *, member_id: str, reward: list[dict], reason: str,
                 now: datetime) -> list[int]:
    """The reward's vouchers for the member, all or none: every template is checked issuable (the
    campaign package path's check, which raises Unissuable) before any voucher is written."""
    templates = issuable_templates(conn, ctx, reward, now)
    rows = []
    for line in reward:
        template, valid_from, valid_until = templates[line["template_id"]]
        snapshot = voucher_snapshot(template, valid_from, valid_until, now=now, source_kind=SOURCE_KIND, reason=reason)
        rows += [{**snapshot, "member_id": member_id}] * line["quantity"]
    return sorted(conn.execute(insert(vouchers).returning(vouchers.c.id), rows).scalars())


def stored_exchange(conn: Connection, exchange_no: str):
    return conn.execute(
        select(points_exchanges.c.fingerprint, points_exchanges.c.result)
        .where(points_exchanges.c.exchange_no == exchange_no)
    ).first()


def record_exchange(conn: Connection, *, exchange_no: str, member_id: str, item_id: int, points_spent: int,
                    fingerprint: str, result: dict, now: datetime) -> None:
    conn.execute(insert(points_exchanges).values(
        exchange_no=exchange_no, member_id=member_id, item_id=item_id, points_spent=points_spent,
        fingerprint=fingerprint, result=result, created_at=now,
    ))
