"""The one-time grant (一次性发放): at ``issue_at`` every bound member gets one package, in binding
order, until the budget runs out.

It runs in batches, one transaction each, every batch an ``IssueDue`` event for ``react``: it locks
the campaign row, and the one-time type earns a package for the next window of bound members (binding
order), at most the packages left, given set-based by ``campaigns.issue``. A crash loses at most the
open batch, which rolls back whole; the package rows' unique (campaign, member, 'one_time', '') and
"members without a package" make a rerun continue exactly where the last committed batch stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, and_, func, select

from evperks.db.tables import campaign_members, campaign_packages
from evperks.domain.campaign_events import IssueDue
from evperks.services.campaigns.react import react
from evperks.services.campaigns.types import one_time
from evperks.services.context import Context
from evperks.services.results import Result, result

log = logging.getLogger("evperks.campaigns")
BATCH_SIZE = 5000


@result
class OneTimeGrant(Result):
    campaign_id: int
    packages: int
    batches: int


def run_one_time_grant(ctx: Context, campaign_id: int, *, batch_size: int = BATCH_SIZE,
                       after_batch: Callable[[int], None] | None = None) -> OneTimeGrant:
    """Give every bound member without a package one, batch by batch; safe to rerun at any point.
    ``after_batch(n)`` is called after the n-th committed batch (tests use it to simulate a crash)."""
    now = ctx.clock.now()
    batches = given = 0
    after = None
    while True:
        with ctx.db.write() as conn:
            if after is None:
                after = _resume_point(conn, campaign_id)
            issued = react(conn, ctx, IssueDue(campaign_id=campaign_id, at=now, after=after, batch_size=batch_size))
        if not issued:  # the campaign cannot give (not active, or out of budget)
            break
        (batch,) = issued
        if not batch.package_ids and batch.last:
            break
        after = batch.through
        if not batch.package_ids:
            continue  # a window of members already given a package: move on
        batches += 1
        given += len(batch.package_ids)
        if after_batch is not None:
            after_batch(batches)
    log.info("campaign %s: one-time grant gave %s packages in %s batches", campaign_id, given, batches)
    return OneTimeGrant(campaign_id=campaign_id, packages=given, batches=batches)


def _resume_point(conn: Connection, campaign_id: int) -> int:
    """The binding id of the last member given a package (0 before the first batch). Binding closes at
    issue_at, so the members with a package are always a prefix of the binding order."""
    cm, p = campaign_members.c, campaign_packages.c
    last = conn.execute(
        select(func.max(cm.id)).select_from(campaign_packages)
        .join(campaign_members, and_(cm.campaign_id == p.campaign_id, cm.member_id == p.member_id))
        .where(p.campaign_id == campaign_id, p.trigger == one_time.NAME)
    ).scalar_one_or_none()
    return last or 0
