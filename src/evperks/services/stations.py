"""Stations (站点), kept in step with the charging platform."""

from __future__ import annotations

from sqlalchemy import select

from evperks.db.tables import stations
from evperks.db.upsert import insert_for
from evperks.services.context import Context


def upsert_station(ctx: Context, *, station_id: str, name: str, city: str) -> tuple[dict, bool]:
    """The station as stored, and whether it was created."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        existed = conn.execute(select(stations.c.id).where(stations.c.id == station_id)).first() is not None
        stmt = insert_for(conn, stations).values(id=station_id, name=name, city=city, created_at=now, updated_at=now)
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"name": name, "city": city, "updated_at": now}))
        row = conn.execute(select(stations).where(stations.c.id == station_id)).one()
    return station_out(row), not existed


def station_out(row) -> dict:
    return {"id": row.id, "name": row.name, "city": row.city}
