"""Which campaigns an event concerns, and the savepoint every campaign reacts in.

A campaign is *running* for an event when its status is active and ``start_at <= event < end_at``.
A campaign can never fail its caller (a registration, a settlement, a recharge): each one reacts in
a savepoint of the caller's transaction, and an unexpected error is rolled back, logged, and the
caller goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, bindparam, exists, or_, select

from evperks.db.tables import campaign_members, campaigns
from evperks.db.types import UTCDateTime
from evperks.domain.campaigns import Status

log = logging.getLogger("evperks.campaigns")
T = TypeVar("T")


# Built once: every settlement asks this, and building the statement cost more than running it.
_AT = bindparam("at", type_=UTCDateTime())
_RUNNING = (
    select(campaigns)
    .where(campaigns.c.type == bindparam("type"), campaigns.c.status == Status.ACTIVE,
           campaigns.c.start_at <= _AT, campaigns.c.end_at > _AT)
    .order_by(campaigns.c.id)
)
_RUNNING_FOR_PARTICIPANT = _RUNNING.where(
    or_(
        ~exists().where(campaign_members.c.campaign_id == campaigns.c.id),
        exists().where(campaign_members.c.campaign_id == campaigns.c.id,
                       campaign_members.c.member_id == bindparam("participant")),
    )
)


def running_campaigns(conn: Connection, *, type: str, at: datetime, participant: str | None = None) -> list:
    """Campaigns of ``type`` running at ``at``, oldest first; with ``participant``, only those whose
    participants include that member (bound to it, or no member bound at all)."""
    if participant is None:
        return conn.execute(_RUNNING, {"type": type, "at": at}).all()
    return conn.execute(_RUNNING_FOR_PARTICIPANT, {"type": type, "at": at, "participant": participant}).all()


def paying_campaigns(conn: Connection, *, kind, at: datetime, participant: str) -> list:
    """The running campaigns of ``kind`` that would reward ``participant``: all of them, or for a type where
    one campaign rewards an event (``ONE_CAMPAIGN_PER_EVENT``) only the oldest, which pays first. What a
    member is shown, so that no page promises a reward the member cannot get."""
    running = running_campaigns(conn, type=kind.NAME, at=at, participant=participant)
    return running[:1] if kind.ONE_CAMPAIGN_PER_EVENT else running


class Undo(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside ``guarded`` to take back everything the campaign did, quietly."""


def guarded(conn: Connection, what: str, action: Callable[[], T]) -> T | None:
    """Run ``action`` in a savepoint; an error is rolled back and logged, never raised to the caller."""
    try:
        with conn.begin_nested():
            return action()
    except Undo:
        return None
    except Exception:  # noqa: BLE001 - a campaign must never fail a registration, settlement or recharge
        log.exception("campaign trigger failed: %s", what)
        return None
