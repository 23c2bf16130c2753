"""What publishing a campaign will mean, before and when it is published (活动发布确认): the warnings that
do not refuse it (another campaign of its type pays first, more bound members than packages) and its
figures: members bound, packages, the shortfall and the cost exposure at face value.

``check_publish`` is the use case the console's confirmation reads; ``publish_figures`` runs inside
the publish transaction, so the publish answer carries the same warnings.
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, func, select

from evperks.db.tables import campaign_members, campaigns, voucher_templates
from evperks.domain.campaign_warnings import Rival, package_value_fen, rival_warnings, shortfall_warning
from evperks.domain.campaigns import LIVE, Campaign
from evperks.services.campaigns import store, store_members
from evperks.services.campaigns.model import CampaignOut
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.context import Context
from evperks.services.results import Result, result


@result
class PublishWarning(Result):
    code: str
    message: str
    params: dict


@result
class PublishCheck(Result):
    warnings: list[PublishWarning]
    bound_members: int | None  # None: the type binds nobody
    total_packages: int | None
    packages_to_give: int | None  # a one-time grant: min(bound, packages); else None (as events come)
    shortfall: int  # bound members a one-time grant leaves without a package
    package_value_fen: int  # face value of one package (tiers: the richest tier's)
    exposure_fen: int  # package value × the packages that can be given


@result
class Published(CampaignOut):
    """The publish answer: the campaign as published and what it was warned about."""

    warnings: list[PublishWarning]


def check_publish(ctx: Context, campaign_id: int) -> PublishCheck:
    """The warnings and figures publishing the campaign now would show."""
    with ctx.db.read() as conn:
        campaign, _ = store.read(conn, campaign_id)
        return publish_figures(conn, campaign)


def publish_figures(conn: Connection, campaign: Campaign) -> PublishCheck:
    kind = CAMPAIGN_TYPES[campaign.type]
    bound = store_members.count(conn, campaign.id) if kind.USES_MEMBERS else None
    total = campaign.total_packages
    warnings = []
    if kind.ONE_CAMPAIGN_PER_EVENT and campaign.start_at and campaign.end_at:
        warnings += rival_warnings(campaign.id, campaign.start_at, campaign.end_at, _rivals(conn, campaign))
    to_give = None
    if kind.GRANTS_AT_ISSUE_AT and bound is not None:
        to_give = min(bound, total or 0)
        if total is not None and (short := shortfall_warning(bound, total)):
            warnings.append(short)
    value = _package_value(conn, campaign)
    return PublishCheck(
        warnings=[PublishWarning(code=w.code, message=w.message, params=dict(w.params)) for w in warnings],
        bound_members=bound, total_packages=total, packages_to_give=to_give,
        shortfall=max(0, (bound or 0) - (total or 0)) if to_give is not None else 0,
        package_value_fen=value, exposure_fen=value * (to_give if to_give is not None else total or 0),
    )


def _rivals(conn: Connection, campaign: Campaign) -> list[Rival]:
    c = campaigns.c
    bound = exists().where(campaign_members.c.campaign_id == c.id)
    rows = conn.execute(
        select(c.id, c.name, c.start_at, c.end_at, (~bound).label("admits_everyone"))
        .where(c.type == campaign.type, c.status.in_(LIVE), c.id != campaign.id)
        .order_by(c.id)
    ).all()
    return [Rival(id=r.id, name=r.name, start_at=r.start_at, end_at=r.end_at, admits_everyone=bool(r.admits_everyone))
            for r in rows]


def _package_value(conn: Connection, campaign: Campaign) -> int:
    packages = [campaign.reward] + [tier.get("reward") or [] for tier in campaign.tiers]
    ids = {item.get("template_id") for package in packages for item in package}
    ids = {i for i in ids if isinstance(i, int)}
    # A percent voucher is worth at most its cap; an uncapped one has no face value to add (0).
    worth = func.coalesce(voucher_templates.c.face_value_fen, voucher_templates.c.max_deduction_fen, 0)
    faces = dict(conn.execute(select(voucher_templates.c.id, worth)
                              .where(voucher_templates.c.id.in_(ids))).all()) if ids else {}
    return max((package_value_fen(package, faces) for package in packages), default=0)
