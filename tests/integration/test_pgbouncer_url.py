"""``?pgbouncer=true`` on a PostgreSQL URL: psycopg's prepared statements are off (PgBouncer's transaction
pooling would run the next transaction on a server connection that never saw them), the flag never
reaches libpq, and a URL without it keeps psycopg's default."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from evperks.db.database import Database
from evperks.db.migrate import current, head


def prepare_threshold(db: Database) -> int | None:
    with db.read() as conn:
        for _ in range(10):  # more than psycopg's threshold: a prepared statement would be made by now
            assert conn.execute(text("SELECT count(*) FROM jobs")).scalar_one() >= 0
        return conn.connection.driver_connection.prepare_threshold


def test_a_pgbouncer_url_turns_prepared_statements_off_and_a_plain_one_keeps_them(postgresql_database_url: str) -> None:
    flagged = make_url(postgresql_database_url).update_query_dict({"pgbouncer": "true"}).render_as_string(
        hide_password=False)
    behind, plain = Database(flagged), Database(postgresql_database_url)
    try:
        assert prepare_threshold(behind) is None
        assert prepare_threshold(plain) == 5
        assert "pgbouncer" not in behind.engine.url.query
        assert current(flagged) == head()  # migrations read the same URL
    finally:
        behind.dispose()
        plain.dispose()
