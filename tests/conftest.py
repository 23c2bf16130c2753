"""Fixtures shared by every test: a migrated database on SQLite and on PostgreSQL, a service context.

Integration tests take the ``ctx`` (or ``database``) fixture and so run once per engine. PostgreSQL is
found at ``EVPERKS_TEST_PG_URL`` (default: the local server); when it is unreachable its leg is skipped,
except under ``CI`` where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from evperks.config import Settings
from evperks.db.database import Database, postgresql_engine
from evperks.db.migrate import upgrade
from evperks.db.tables import metadata
from evperks.services.context import Context

PG_ADMIN_URL = os.environ.get("EVPERKS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ENGINES = ["sqlite", "postgresql"]
# The installed package's smoke suite runs apart, in a fresh virtualenv (scripts/test-wheel).
collect_ignore = ["installed"]
# Property tests check outcomes, not speed: on a shared, loaded machine one example may take longer than
# Hypothesis's default 200 ms deadline without anything being wrong.
hypothesis_settings.register_profile("evperks", deadline=None)
hypothesis_settings.load_profile("evperks")


def _pg_reachable_or_skip() -> None:
    try:
        with postgresql_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "unreachable"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")


@contextmanager
def empty_postgresql_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends (skips when unreachable)."""
    _pg_reachable_or_skip()
    name = f"evperks_test_{uuid.uuid4().hex[:12]}"
    admin = postgresql_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def empty_database(engine: str, directory: Path) -> Iterator[str]:
    """A new, empty database on ``engine`` ("sqlite": a file in ``directory``), for tests that need their own."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / f'evperks-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with empty_postgresql_database() as url:
            yield url


@pytest.fixture(scope="session")
def postgresql_database_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test process, dropped at the end."""
    with empty_postgresql_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "evperks-test.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def empty_all_tables(db: Database) -> None:
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with db.write() as conn:
        if db.is_sqlite:
            for name in names:
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
        else:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_database_url")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, sandbox=True, scheduler=False)


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    """A service context on an emptied database with the sandbox clock (tests move time by hand)."""
    context = Context.from_settings(settings)
    empty_all_tables(context.db)
    yield context
    context.db.dispose()


@pytest.fixture
def database(ctx: Context) -> Database:
    return ctx.db
