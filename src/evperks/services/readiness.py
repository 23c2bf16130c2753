"""Whether this process can take traffic: its database answers and the schema is at this version's head."""

from __future__ import annotations

import logging
from functools import cache

from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import SQLAlchemyError

from evperks.db.migrate import head
from evperks.services.context import Context
from evperks.services.errors import Unavailable

log = logging.getLogger("evperks.readiness")


class NotReady(Unavailable):
    """This node cannot serve yet (the API answers 503 "Not ready")."""


@cache
def expected_revision() -> str | None:
    """The newest migration shipped with this version (read once: the scripts do not change while running)."""
    return head()


def check(ctx: Context) -> None:
    """Raise ``NotReady`` naming what is wrong: ``database`` unreachable, or ``migrations`` not at head."""
    try:
        with ctx.db.read() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        log.warning("readiness: the database does not answer: %s", exc)
        # The driver's message may name hosts and users; the log has it, the anonymous answer does not.
        raise NotReady("The database does not answer", field="database", code="readiness.database_unreachable") from exc
    wanted = expected_revision()
    if revision != wanted:
        raise NotReady(
            "The database schema is at %(revision)s, this version needs %(wanted)s: run `evperks migrate`",
            field="migrations", code="readiness.migrations_behind", revision=revision or "no revision", wanted=wanted,
        )
