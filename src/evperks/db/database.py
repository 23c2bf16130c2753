"""Engine and units of work.

Every service function runs in exactly one transaction: ``db.write()`` for a unit that changes
anything, ``db.read()`` for one that only reads. On SQLite a write begins with ``BEGIN IMMEDIATE``
so that two writers never both read and then fight over the lock (which SQLite resolves by failing
one of them); pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves.

Behind PgBouncer in transaction pooling mode, consecutive transactions of one client connection may
run on different server connections, so psycopg's automatic server-side prepared statements (made
after a query's fifth run) would be missing on the next one. ``?pgbouncer=true`` on a PostgreSQL URL
switches them off (``prepare_threshold=None``); evperks uses no other session state (its only
advisory locks are transaction-scoped, it issues no SET, LISTEN or temporary tables).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "evperks_sqlite_begin"
PGBOUNCER_PARAM = "pgbouncer"


def postgresql_engine(url: str | URL, **kwargs: Any) -> Engine:
    """``create_engine`` for a PostgreSQL URL that may carry ``?pgbouncer=true`` (which libpq itself
    would refuse as an unknown option): the flag is taken off the URL and turns prepared statements off."""
    url = make_url(url)
    behind_pgbouncer = url.query.get(PGBOUNCER_PARAM, "false").lower() in ("true", "1", "yes", "on")
    if behind_pgbouncer:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "prepare_threshold": None}
    return create_engine(url.difference_update_query([PGBOUNCER_PARAM]), **kwargs)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(url)
        else:
            self.engine = postgresql_engine(
                url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
                pool_recycle=1800,
            )
        # SQLite lets one writer in at a time; threads of this process queue on a lock instead of
        # sleeping in SQLite's busy handler, which wakes them late (p99 1.3 s → 0.1 s measured).
        # Reentrant, so a nested write in one thread fails on SQLite's lock instead of hanging here.
        self._write_lock = threading.RLock() if self.is_sqlite else nullcontext()
        self._reader = self.engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
        self._writer = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may write; commits on success, rolls back on any exception."""
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: a consistent snapshot, never holding SQLite's write lock."""
        with self._reader.begin() as conn:
            yield conn
            conn.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if make_url(url).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
