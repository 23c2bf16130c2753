"""Small reads the console's voucher, member and station pages need and no other service offers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from evperks.db.tables import members, stations, vouchers
from evperks.services.context import Context
from evperks.services.lookups import require_member
from evperks.services.pagination import MAX_LIMIT, Page, after_desc, decode_cursor, page
from evperks.services.results import Result, result
from evperks.services.stations import Station, station_out
from evperks.services.stations_store import names as station_names_in

STATION_CHOICES_LIMIT = 1000  # the multi-select of 适用站点; operators have hundreds of stations, not more


@result
class Person(Result):
    """A member as the invite relations show them."""

    id: str
    phone: str
    nickname: str
    registered_at: datetime


@result
class InviteRelations(Result):
    inviter: Person | None
    invitees: Page[Person]


def station_choices(ctx: Context) -> list[Station]:
    """Every station (up to a bound) for a picker, in id order."""
    with ctx.db.read() as conn:
        rows = conn.execute(select(stations).order_by(stations.c.id).limit(STATION_CHOICES_LIMIT)).all()
    return [station_out(r) for r in rows]


def station_names(ctx: Context, station_ids: Iterable[str]) -> dict[str, str]:
    """Names of the given stations by id (unknown ids are left out)."""
    with ctx.db.read() as conn:
        return station_names_in(conn, station_ids)


def member_id_by_phone(ctx: Context, phone: str) -> str | None:
    with ctx.db.read() as conn:
        return conn.execute(select(members.c.id).where(members.c.phone == phone)).scalar_one_or_none()


def member_exists(ctx: Context, member_id: str) -> bool:
    with ctx.db.read() as conn:
        return conn.execute(select(members.c.id).where(members.c.id == member_id)).first() is not None


def voucher_belongs_to(ctx: Context, voucher_id: int, member_id: str) -> bool:
    with ctx.db.read() as conn:
        return conn.execute(
            select(vouchers.c.id).where(vouchers.c.id == voucher_id, vouchers.c.member_id == member_id)
        ).first() is not None


def _person(row) -> Person:
    return Person(id=row.id, phone=row.phone, nickname=row.nickname, registered_at=row.registered_at)


def invite_relations(ctx: Context, member_id: str, *, limit: int = 50, cursor: str | None = None) -> InviteRelations:
    """Who invited the member (or None), and a page of the members they invited, newest first."""
    m = members.c
    order = [m.registered_at, m.id]
    stmt = select(m.id, m.phone, m.nickname, m.registered_at).where(m.invited_by == member_id)
    if cursor:
        stmt = stmt.where(after_desc(order, decode_cursor(cursor, (datetime, str))))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        inviter = conn.execute(
            select(m.id, m.phone, m.nickname, m.registered_at)
            .where(m.id == select(m.invited_by).where(m.id == member_id).scalar_subquery())
        ).first()
        rows = conn.execute(stmt.order_by(*(c.desc() for c in order)).limit(min(limit, MAX_LIMIT) + 1)).all()
    rows, next_cursor = page(rows, limit, lambda r: [r.registered_at, r.id])
    return InviteRelations(inviter=_person(inviter) if inviter else None,
                           invitees=Page([_person(r) for r in rows], next_cursor))
