"""The Alembic migrations build exactly the schema of ``tables.py``, on SQLite and on PostgreSQL.

These tests need EMPTY databases, so they make their own instead of the migrated ones in conftest.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import String, func, insert, inspect, select, text
from sqlalchemy.engine import make_url

from evperks.db.database import Database, postgresql_engine
from evperks.db.migrate import COMPARE_OPTIONS, current, downgrade, head, migration_connection, upgrade
from evperks.db.tables import members, metadata, stations, voucher_templates
from tests.conftest import ENGINES, PG_ADMIN_URL, _pg_reachable_or_skip

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    _pg_reachable_or_skip()
    name = f"evperks_migrations_{uuid.uuid4().hex[:12]}"
    admin = postgresql_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_differences(url: str) -> list[object]:
    """What autogenerate would write to turn this database into ``tables.metadata``."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"target_metadata": metadata, **COMPARE_OPTIONS})
            return compare_metadata(context, metadata)
    finally:
        db.dispose()


def table_names(url: str) -> set[str]:
    db = Database(url)
    try:
        with db.read() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        db.dispose()


def add_station(url: str, station_id: str) -> None:
    db = Database(url)
    try:
        with db.write() as conn:
            conn.execute(insert(stations).values(id=station_id, name="A", created_at=NOW, updated_at=NOW))
    finally:
        db.dispose()


def test_upgrading_an_empty_database_creates_exactly_the_schema_of_the_tables(empty_url: str) -> None:
    assert current(empty_url) is None

    upgrade(empty_url)

    assert current(empty_url) == head()
    assert table_names(empty_url) == set(metadata.tables) | {"alembic_version"}
    assert schema_differences(empty_url) == []


def test_downgrading_to_base_and_upgrading_again_restores_the_schema(empty_url: str) -> None:
    upgrade(empty_url)

    downgrade(empty_url, "base")
    assert current(empty_url) is None
    assert table_names(empty_url) == {"alembic_version"}

    upgrade(empty_url)
    assert current(empty_url) == head()
    assert schema_differences(empty_url) == []


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    upgrade(empty_url)
    add_station(empty_url, "s1")

    upgrade(empty_url)

    assert current(empty_url) == head()
    db = Database(empty_url)
    try:
        with db.read() as conn:
            assert conn.execute(select(stations.c.id)).scalars().all() == ["s1"]
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        db.dispose()


def test_server_defaults_of_the_migrated_schema_fill_omitted_columns(empty_url: str) -> None:
    upgrade(empty_url)
    add_station(empty_url, "s1")
    db = Database(empty_url)
    try:
        with db.write() as conn:
            conn.execute(
                insert(voucher_templates).values(
                    name="5 yuan off", face_value_fen=500, deduction_type="total", station_ids=[],
                    validity_type="days", validity_days=7, created_at=NOW, updated_at=NOW,
                )
            )
        with db.read() as conn:
            template = conn.execute(select(voucher_templates)).one()
            city = conn.execute(select(stations.c.city)).scalar_one()
    finally:
        db.dispose()
    assert template.enabled is True
    assert template.min_spend_fen == 0
    assert city == ""


def test_several_processes_upgrading_at_once_all_succeed_and_migrate_once(empty_url: str) -> None:
    script = "import sys; from evperks.db.migrate import upgrade; upgrade(sys.argv[1])"
    processes = [subprocess.Popen([sys.executable, "-c", script, empty_url], stderr=subprocess.PIPE) for _ in range(4)]

    errors = [p.communicate(timeout=120)[1].decode() for p in processes]
    failures = [error for p, error in zip(processes, errors, strict=True) if p.returncode != 0]

    assert failures == []
    assert current(empty_url) == head()
    assert schema_differences(empty_url) == []
    db = Database(empty_url)
    try:
        with db.read() as conn:
            assert conn.execute(select(func.count()).select_from(text("alembic_version"))).scalar_one() == 1
    finally:
        db.dispose()


def test_a_batch_migration_on_sqlite_can_rebuild_a_table_that_other_rows_reference(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'referenced.db'}"
    upgrade(url)
    db = Database(url)
    try:
        with db.write() as conn:
            for member_id, inviter in (("m1", None), ("m2", "m1")):
                conn.execute(
                    insert(members).values(
                        id=member_id, phone=member_id, invite_code=member_id, invited_by=inviter,
                        registered_at=NOW, created_at=NOW,
                    )
                )
    finally:
        db.dispose()

    # Batch mode copies "members" to a new table and drops the old one, which "m2" references.
    with migration_connection(url) as conn:
        operations = Operations(MigrationContext.configure(conn, opts={"target_metadata": metadata}))
        with operations.batch_alter_table("members", recreate="always") as batch:
            batch.alter_column("nickname", type_=String(200))

    db = Database(url)
    try:
        with db.read() as conn:
            assert conn.execute(select(members.c.id, members.c.invited_by)).all() == [("m1", None), ("m2", "m1")]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # enforced again afterwards
    finally:
        db.dispose()
