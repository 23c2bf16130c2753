"""Stations read in the caller's transaction (the use cases are in ``stations``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from evperks.db.tables import stations


def names(conn: Connection, station_ids: Iterable[str]) -> dict[str, str]:
    """Names of the given stations by id, in the caller's transaction (unknown ids are left out)."""
    wanted = sorted(set(station_ids))
    if not wanted:
        return {}
    return dict(conn.execute(select(stations.c.id, stations.c.name).where(stations.c.id.in_(wanted))).all())
