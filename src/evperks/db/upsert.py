"""INSERT … ON CONFLICT on both engines."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Table):
    """The dialect's INSERT construct, which has ``on_conflict_do_nothing`` / ``…_do_update``."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
