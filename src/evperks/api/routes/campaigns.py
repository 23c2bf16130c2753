"""Admin campaign API (活动管理 / 活动列表): drafts, publishing, stopping, members, statistics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from evperks.api import schemas_campaigns as s
from evperks.api.deps import CtxDep, require_admin
from evperks.api.params import Cursor, IntId, Limit
from evperks.api.responses import json_response
from evperks.api.routes.admin import member_filter
from evperks.api.routing import ApiRoute
from evperks.services.campaigns import binding, lifecycle, publish_check, stats

router = APIRouter(
    prefix="/api/v1/admin/campaigns", dependencies=[Depends(require_admin)], tags=["campaigns"], route_class=ApiRoute,
)


def _fields(body: s.CampaignFields) -> dict:
    return {name: _plain(getattr(body, name)) for name in body.model_fields_set}


def _plain(value):
    if isinstance(value, list):
        return [item.model_dump(exclude_none=True) if hasattr(item, "model_dump") else item for item in value]
    return value


@router.post("", status_code=201, response_model=s.CampaignOut)
def create_campaign(body: s.CampaignIn, ctx: CtxDep) -> Response:
    """创建活动: save a draft (only ``type`` is required; publishing checks the rest)."""
    return json_response(lifecycle.create_campaign(ctx, fields=_fields(body), actor="api"), zone=ctx.zone, status=201)


@router.get("", response_model=s.CampaignPage)
def list_campaigns(ctx: CtxDep, type: s.CampaignType | None = None, status: s.CampaignStatus | None = None,
                   limit: Limit = 50, cursor: Cursor = None) -> Response:
    """活动列表, newest first."""
    page = lifecycle.list_campaigns(ctx, type=type, status=status, limit=limit, cursor=cursor)
    return json_response(page, zone=ctx.zone)


@router.get("/{campaign_id}", response_model=s.CampaignOut)
def get_campaign(campaign_id: IntId, ctx: CtxDep) -> Response:
    return json_response(lifecycle.get_campaign(ctx, campaign_id), zone=ctx.zone)


@router.patch("/{campaign_id}", response_model=s.CampaignOut)
def patch_campaign(campaign_id: IntId, body: s.CampaignPatch, ctx: CtxDep) -> Response:
    """A draft changes freely; a published campaign only its rules_text, a later end_at, a larger budget."""
    return json_response(lifecycle.update_campaign(ctx, campaign_id, changes=_fields(body), actor="api"), zone=ctx.zone)


@router.get("/{campaign_id}/publish-check", response_model=s.PublishCheck)
def check_publish(campaign_id: IntId, ctx: CtxDep) -> Response:
    """What publishing now would warn about, with the members bound, the packages, the shortfall and the
    cost exposure at face value (nothing is changed)."""
    return json_response(publish_check.check_publish(ctx, campaign_id), zone=ctx.zone)


@router.post("/{campaign_id}/publish", response_model=s.PublishedOut)
def publish_campaign(campaign_id: IntId, ctx: CtxDep) -> Response:
    """Check every field (422 naming all that are wrong); scheduled, or active once start_at has come. The
    answer's ``warnings`` say what publishing did not refuse but the operator should know."""
    return json_response(lifecycle.publish_campaign(ctx, campaign_id, actor="api"), zone=ctx.zone)


@router.post("/{campaign_id}/stop", response_model=s.CampaignOut)
def stop_campaign(campaign_id: IntId, ctx: CtxDep) -> Response:
    """End a scheduled or active campaign now (ended, stopped)."""
    return json_response(lifecycle.stop_campaign(ctx, campaign_id, actor="api"), zone=ctx.zone)


@router.post("/{campaign_id}/members", response_model=s.BindOut)
def bind_members(campaign_id: IntId, body: s.BindIn, ctx: CtxDep) -> Response:
    """绑定会员 / 批量绑定: these ids, or every result of the member search."""
    if body.filter is not None:
        flt = member_filter(ctx, **body.filter.model_dump())
        result = binding.bind_members(ctx, campaign_id, flt=flt, actor="api")
    else:
        result = binding.bind_members(ctx, campaign_id, member_ids=body.member_ids, actor="api")
    return json_response(result, zone=ctx.zone)


@router.get("/{campaign_id}/members", response_model=s.BoundPage)
def list_members(campaign_id: IntId, ctx: CtxDep, limit: Limit = 50, cursor: Cursor = None) -> Response:
    """Bound members, in binding order."""
    return json_response(binding.list_bound(ctx, campaign_id, limit=limit, cursor=cursor), zone=ctx.zone)


@router.delete("/{campaign_id}/members", response_model=s.UnbindOut)
def unbind_members(campaign_id: IntId, body: s.UnbindIn, ctx: CtxDep) -> Response:
    """解绑: these ids, every bound member the search finds, or everyone bound (``all: true``)."""
    flt = member_filter(ctx, **body.filter.model_dump()) if body.filter is not None else None
    result = binding.unbind_members(ctx, campaign_id, member_ids=body.member_ids, flt=flt, everyone=bool(body.all),
                                    actor="api")
    return json_response(result, zone=ctx.zone)


@router.get("/{campaign_id}/stats", response_model=s.CampaignStats)
def campaign_stats(campaign_id: IntId, ctx: CtxDep) -> Response:
    """Packages given and left, vouchers issued and used, what they deducted, participants."""
    return json_response(stats.campaign_stats(ctx, campaign_id), zone=ctx.zone)


# Last: the OpenAPI examples run in the document order, so this one deletes nothing the others use.
@router.delete("/{campaign_id}", status_code=204, response_class=Response)
def delete_campaign(campaign_id: IntId, ctx: CtxDep) -> Response:
    """Delete a draft (and its bound members); a published campaign is 409."""
    lifecycle.delete_draft(ctx, campaign_id, actor="api")
    return Response(status_code=204)
