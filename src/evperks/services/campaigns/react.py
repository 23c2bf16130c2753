"""The one entry by which campaigns hear what happened: ``react(conn, ctx, event)``.

For every registered type that reacts to the event (``types.reacting_to``): the campaigns it concerns
(``audience``: running at the event's instant, admitting its participant), in each what the event earns
(``earns``, pure, on the type's ``STATE`` when it keeps one), and the packages given by ``issue``.
It runs inside the caller's transaction (the registration, the settlement, the recharge confirmation)
with the event's ``at`` as now. A package that cannot be given (budget spent, campaign ended, template
window closed, already given) is simply not given, and a campaign's unexpected error is rolled back to
its savepoint and logged: a campaign never fails its caller.

A one-time grant falling due (``IssueDue``) names its campaign: its row is locked first (batches of one
campaign run one after another on every node), and a template that cannot be issued fails the batch.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, update

from evperks.db.tables import campaigns
from evperks.domain.campaign_events import BoundMembers, Event, IssueDue, Package
from evperks.domain.campaigns import Status
from evperks.services.campaigns.issue import Issued, Unissuable, issue
from evperks.services.campaigns.running import Undo, guarded, running_campaigns
from evperks.services.campaigns.types import CAMPAIGN_TYPES, CampaignType, reacting_to
from evperks.services.context import Context

log = logging.getLogger("evperks.campaigns")


def react(conn: Connection, ctx: Context, event: Event) -> list[Issued]:
    """What the event earned, one ``Issued`` per package given (per batch for a one-time grant)."""
    if isinstance(event, IssueDue):
        return _issue_due(conn, ctx, event)
    concerned = [(kind, kind.audience(event)) for kind in reacting_to(type(event))]
    # The event's own member's campaigns first, then those rewarding another member (a referral pays
    # the inviter): what a settlement reports lists the member's own packages first.
    concerned.sort(key=lambda pair: pair[1] is not None and pair[1].participant not in (None, event.member_id))
    issued: list[Issued] = []
    for kind, audience in concerned:
        if audience is None:
            continue
        for campaign in running_campaigns(conn, type=kind.NAME, at=audience.at, participant=audience.participant):
            given = guarded(conn, f"{kind.NAME} {campaign.id} {event!r}",
                            lambda c=campaign, k=kind: _react_in(conn, ctx, k, c, event))
            if given:
                issued += given
                if kind.ONE_CAMPAIGN_PER_EVENT:
                    break
    return issued


def rewards(issued: list[Issued]) -> list[dict]:
    """``[{campaign_id, voucher_ids}]``, one per package, as settlements and recharges report them."""
    return [reward for i in issued for reward in i.rewards()]


def _react_in(conn: Connection, ctx: Context, kind: CampaignType, campaign, event: Event) -> list[Issued]:
    state = kind.STATE.load(conn, ctx, campaign, event) if kind.STATE is not None else None
    given = [_give(conn, ctx, campaign.id, package, event.at) for package in kind.earns(campaign, event, state)]
    issued = [i for i in given if i is not None and i.package_ids]
    if kind.STATE is not None and not kind.STATE.save(conn, ctx, campaign, event, state, issued):
        raise Undo
    return issued


def _give(conn: Connection, ctx: Context, campaign_id: int, package: Package, now) -> Issued | None:
    try:
        return issue(conn, ctx, campaign_id=campaign_id, to=package.to, trigger=package.trigger,
                     reward=package.reward, now=now, ref=package.ref)
    except Unissuable:
        if isinstance(package.to, BoundMembers):
            raise  # a grant's batch fails its job: retried, and the error is logged
        log.warning("campaign %s: a reward template can no longer be issued; no package for %s", campaign_id, package.to)
        return None


def _issue_due(conn: Connection, ctx: Context, event: IssueDue) -> list[Issued]:
    # A scheduled campaign whose start has come is started here (as its start job would), so the grant
    # never depends on which of the two jobs due at the same instant runs first.
    campaign = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == event.campaign_id, campaigns.c.status.in_((Status.SCHEDULED, Status.ACTIVE)),
               campaigns.c.start_at <= event.at, campaigns.c.end_at > event.at)
        .values(status=Status.ACTIVE, updated_at=event.at)
        .returning(*campaigns.c)
    ).first()
    if campaign is None:  # stopped, ended, or not yet started: nothing to give
        return []
    kind = CAMPAIGN_TYPES[campaign.type]
    if IssueDue not in kind.REACTS_TO:
        return []
    given = [_give(conn, ctx, campaign.id, package, event.at) for package in kind.earns(campaign, event, None)]
    return [i for i in given if i is not None]
