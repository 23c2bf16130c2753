"""Alembic environment for evperks.

``evperks.db.migrate`` passes an open connection, already inside the transaction that holds the
migration lock, as ``config.attributes["connection"]``. Without one (a plain ``alembic`` command with
``sqlalchemy.url`` or ``config.attributes["url"]``), the same locked connection is opened here.
``--sql`` (offline) mode renders the DDL for the URL's dialect instead of running it.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from evperks.db.migrate import COMPARE_OPTIONS, migration_connection
from evperks.db.tables import metadata
from evperks.db.types import UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Write ``UTCDateTime`` as ``sa.DateTime()``: a migration is a frozen snapshot, not app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_item=render_item, **COMPARE_OPTIONS)
    with context.begin_transaction():  # joins the caller's transaction: the whole run commits at once
        context.run_migrations()


def url() -> str:
    found = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not found:
        raise RuntimeError("no database: pass config.attributes['connection'] or a URL")
    return str(found)


if context.is_offline_mode():
    context.configure(
        url=url(), target_metadata=metadata, render_item=render_item, literal_binds=True, **COMPARE_OPTIONS
    )
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    run(given)
else:
    with migration_connection(url()) as opened:
        run(opened)
