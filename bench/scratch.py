"""Scratch databases for the benchmarks: a fresh, migrated SQLite file or PostgreSQL database per run."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from evperks.db.migrate import upgrade

PG_ADMIN_URL = os.environ.get("EVPERKS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(engine: str) -> Iterator[str]:
    """The URL of a new, migrated database, removed afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="evperks-bench-") as scratch:
            url = f"sqlite:///{Path(scratch) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    name = f"evperks_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def unreachable(engine: str) -> str | None:
    """Why ``engine`` cannot be benchmarked here (PostgreSQL down), or None."""
    if engine != "postgresql":
        return None
    try:
        probe = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL unreachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None
