"""Schema creation. TEMPORARY until the Alembic migrations land: creates tables from the metadata."""

from __future__ import annotations

from evperks.db.database import Database
from evperks.db.tables import metadata


def upgrade(url: str) -> None:
    db = Database(url)
    try:
        metadata.create_all(db.engine)
    finally:
        db.dispose()
