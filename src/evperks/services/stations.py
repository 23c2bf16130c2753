"""Stations (站点), kept in step with the charging platform."""

from __future__ import annotations

from sqlalchemy import select

from evperks.db.tables import stations
from evperks.db.upsert import insert_for
from evperks.services import audit_store
from evperks.services.context import Context
from evperks.services.errors import NotFound
from evperks.services.pagination import MAX_LIMIT, Page, decode_cursor, page
from evperks.services.results import Result, result


@result
class Station(Result):
    id: str
    name: str
    city: str


def upsert_station(ctx: Context, *, station_id: str, name: str, city: str, actor: str = "system") -> tuple[Station, bool]:
    """The station as stored, and whether it was created. A repeated sync that changes nothing is not
    audited."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        old = conn.execute(select(stations).where(stations.c.id == station_id)).first()
        stmt = insert_for(conn, stations).values(id=station_id, name=name, city=city, created_at=now, updated_at=now)
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"name": name, "city": city, "updated_at": now}))
        after = station_out(conn.execute(select(stations).where(stations.c.id == station_id)).one())
        before = station_out(old) if old else None
        if before != after:
            audit_store.record(conn, actor=actor, action="update" if old else "create", target_type="station",
                               target_id=station_id, before=before, after=after, at=now)
    return after, old is None


def list_stations(ctx: Context, *, limit: int = 50, cursor: str | None = None) -> Page[Station]:
    """Stations in id order, a page at a time (the API's station list and the console's 站点)."""
    stmt = select(stations).order_by(stations.c.id).limit(min(limit, MAX_LIMIT) + 1)
    if cursor:
        (after,) = decode_cursor(cursor, (str,))
        stmt = stmt.where(stations.c.id > after)
    with ctx.db.read() as conn:
        rows = conn.execute(stmt).all()
    rows, next_cursor = page(rows, limit, lambda r: [r.id])
    return Page([station_out(r) for r in rows], next_cursor)


def get_station(ctx: Context, station_id: str) -> Station | None:
    with ctx.db.read() as conn:
        row = conn.execute(select(stations).where(stations.c.id == station_id)).first()
    return station_out(row) if row else None


def require_station(ctx: Context, station_id: str) -> Station:
    """The station, or NotFound (404) naming it."""
    station = get_station(ctx, station_id)
    if station is None:
        raise NotFound("station %(id)r does not exist", code="station.not_found", id=station_id)
    return station


def station_out(row) -> Station:
    return Station(id=row.id, name=row.name, city=row.city)
