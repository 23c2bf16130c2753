"""The members bound to a campaign: reads and writes inside the caller's transaction (``conn``, never
``ctx``). The binding id is the binding order a one-time grant follows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Select, delete, exists, func, literal, select

from evperks.db.tables import campaign_members, campaign_packages, members
from evperks.db.upsert import insert_for
from evperks.services.member_search import MemberFilter
from evperks.services.pagination import decode_cursor, encode_cursor

_CHUNK = 1000  # rows per statement when binding by ids (SQLite's bound-parameter limit)


def bind_found(conn: Connection, campaign_id: int, flt: MemberFilter, *, now: datetime) -> int:
    """Everyone ``flt`` finds, in registration order, in one ``INSERT … SELECT``; how many were new."""
    found = (
        select(literal(campaign_id), members.c.id, literal(now, campaign_members.c.bound_at.type))
        .where(flt.where())
        .order_by(members.c.registered_at, members.c.id)
    )
    statement = (
        insert_for(conn, campaign_members)
        .from_select(["campaign_id", "member_id", "bound_at"], found)
        .on_conflict_do_nothing(index_elements=["campaign_id", "member_id"])
    )
    return conn.execute(statement, execution_options={"preserve_rowcount": True}).rowcount


def unknown_ids(conn: Connection, member_ids: list[str]) -> list[str]:
    """The ids that name no member, in the order given."""
    known: set[str] = set()
    for start in range(0, len(member_ids), _CHUNK):
        chunk = member_ids[start:start + _CHUNK]
        known |= set(conn.execute(select(members.c.id).where(members.c.id.in_(chunk))).scalars())
    return [m for m in member_ids if m not in known]


def bind_ids(conn: Connection, campaign_id: int, member_ids: list[str], *, now: datetime) -> int:
    """The members in the order given; how many were new."""
    bound = 0
    for start in range(0, len(member_ids), _CHUNK):
        rows = [{"campaign_id": campaign_id, "member_id": m, "bound_at": now} for m in member_ids[start:start + _CHUNK]]
        bound += conn.execute(
            insert_for(conn, campaign_members).values(rows).on_conflict_do_nothing(index_elements=["campaign_id", "member_id"]),
            execution_options={"preserve_rowcount": True},
        ).rowcount
    return bound


def unbind(conn: Connection, campaign_id: int, member_ids: list[str]) -> int:
    return conn.execute(
        delete(campaign_members).where(
            campaign_members.c.campaign_id == campaign_id, campaign_members.c.member_id.in_(set(member_ids))
        )
    ).rowcount


def unbind_found(conn: Connection, campaign_id: int, flt: MemberFilter | None) -> int:
    """Unbind everyone ``flt`` finds (everyone bound when None) in one ``DELETE``; how many were bound."""
    stmt = delete(campaign_members).where(campaign_members.c.campaign_id == campaign_id)
    if flt is not None:
        stmt = stmt.where(campaign_members.c.member_id.in_(select(members.c.id).where(flt.where())))
    return conn.execute(stmt).rowcount


def bound_among(conn: Connection, campaign_id: int, member_ids: list[str]) -> set[str]:
    """Which of these (a page of search results) are bound."""
    return set(conn.execute(
        select(campaign_members.c.member_id).where(campaign_members.c.campaign_id == campaign_id,
                                                   campaign_members.c.member_id.in_(member_ids))
    ).scalars())


def count_found(conn: Connection, campaign_id: int, flt: MemberFilter) -> int:
    """How many of the members ``flt`` finds are bound."""
    return conn.execute(
        select(func.count()).select_from(campaign_members).join(members, members.c.id == campaign_members.c.member_id)
        .where(campaign_members.c.campaign_id == campaign_id, flt.where())
    ).scalar_one()


def count(conn: Connection, campaign_id: int, *, without_package: bool = False) -> int:
    stmt = select(func.count()).select_from(campaign_members).where(campaign_members.c.campaign_id == campaign_id)
    if without_package:
        stmt = stmt.where(_given_nothing(campaign_id))
    return conn.execute(stmt).scalar_one()


def _given_nothing(campaign_id: int):
    """The bound member has no package of the campaign (none given, or its package was revoked)."""
    p = campaign_packages.c
    return ~exists().where(p.campaign_id == campaign_id, p.member_id == campaign_members.c.member_id,
                           p.revoked_at.is_(None))


def bound_query(campaign_id: int, *, without_package: bool = False) -> Select:
    """Bound members with their phone and nickname (order by ``campaign_members.c.id``: binding order);
    with ``without_package`` only those the campaign gave no package (a grant's skipped members)."""
    cm = campaign_members.c
    stmt = (
        select(cm.id, cm.member_id, cm.bound_at, members.c.phone, members.c.nickname)
        .join(members, members.c.id == cm.member_id)
        .where(cm.campaign_id == campaign_id)
    )
    return stmt.where(_given_nothing(campaign_id)) if without_package else stmt


def page(conn: Connection, campaign_id: int, *, limit: int, cursor: str | None,
         without_package: bool = False) -> tuple[list, str | None]:
    """Bound members with their phone and nickname, in binding order, and the next cursor; with
    ``without_package`` only those the campaign gave no package."""
    cm = campaign_members.c
    stmt = bound_query(campaign_id, without_package=without_package)
    if cursor:
        stmt = stmt.where(cm.id > decode_cursor(cursor, (int,))[0])
    rows = conn.execute(stmt.order_by(cm.id).limit(limit + 1)).all()
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor
