"""活动管理 / 活动列表: the list, 创建活动 (type first, then basic info and 活动方案), editing, 查看 with
live stats, 发布 and 停止. Binding members (绑定会员) is ``campaigns_members``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import IntId
from evperks.domain.campaigns import Status
from evperks.services import admin_views, vouchers
from evperks.services.campaigns import binding, lifecycle, publish_check, stats
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.errors import Invalid, NotFound, Reason, ServiceError
from evperks.services.pagination import MAX_LIMIT
from evperks.services.texts import N_
from evperks.web import refusals
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.campaign_refusals import warning_messages
from evperks.web.admin.campaigns_form import CampaignForm, refusal_messages
from evperks.web.admin.paging import page_number
from evperks.web.admin.replies import done_message, missing, redirect
from evperks.web.i18n import translations

router = APIRouter(prefix="/admin/campaigns", include_in_schema=False)

PAGE_SIZE = 20
CHART_DAYS = 30
DONE = {
    "saved": N_("Draft saved."),
    "updated": N_("Changes saved."),
    "unchanged": N_("Nothing was changed."),
    "published": N_("The campaign is published."),
    "stopped": N_("The campaign is stopped."),
    "deleted": N_("The draft is deleted."),
}


def detail_path(campaign_id: int) -> str:
    return f"/admin/campaigns/{campaign_id}"


def no_such_campaign(request: Request, staff: Staff) -> Response:
    """An unknown campaign id: a 404 page saying so, never a stack trace."""
    return missing(request, staff, nav="campaigns")


def uses_members(campaign: dict) -> bool:
    return CAMPAIGN_TYPES[campaign["type"]].USES_MEMBERS


async def with_form(request: Request, handler, *args) -> Response:
    """Read the posted form (its field names vary with the rows), then run ``handler(request, *args, form)``
    in a worker thread: the services block."""
    data = await request.form()
    return await run_in_threadpool(handler, request, *args, data)


# --- 活动列表 --------------------------------------------------------------------------------------

@router.get("")
def campaign_list(request: Request, staff: StaffDep) -> Response:
    query = request.query_params
    kind = query.get("type") if query.get("type") in CAMPAIGN_TYPES else ""
    status = query.get("status") if query.get("status") in set(Status) else ""
    name = (query.get("name") or "").strip()[:100]
    found = lifecycle.list_campaigns_numbered(request.app.state.ctx, type=kind or None, status=status or None,
                                              name=name or None, page=page_number(query), size=PAGE_SIZE)
    return page(request, staff, "admin/campaigns/list.html", nav="campaigns", campaigns=found["items"],
                found=found, name=name, type_shown=kind, status_shown=status,
                type_options=[(name, say(staff, k.LABEL)) for name, k in CAMPAIGN_TYPES.items()],
                flash=done_message(request, staff.locale, DONE))


# --- 创建活动 and editing --------------------------------------------------------------------------

@router.get("/new")
def new_campaign(request: Request, staff: ChangerDep) -> Response:
    """Choose the type first (活动类型: every registered type), then the form of that type."""
    kind = request.query_params.get("type")
    if kind not in CAMPAIGN_TYPES:
        return page(request, staff, "admin/campaigns/choose_type.html", nav="campaigns")
    return form_page(request, staff, CampaignForm.blank(kind))


@router.post("/new")
async def create_campaign(request: Request, staff: ChangerDep) -> Response:
    return await with_form(request, _create, staff)


def _create(request: Request, staff: Staff, data) -> Response:
    kind = request.query_params.get("type")
    if kind not in CAMPAIGN_TYPES:
        return redirect("/admin/campaigns/new")
    form = CampaignForm.typed(kind, data)
    if data.get("rows"):  # 添加一行 / 删除: the same form with a row more or less, nothing saved
        return form_page(request, staff, form.edited(str(data["rows"])))
    form = form.compacted()
    fields, errors = form.fields(request.app.state.ctx.zone)
    if errors:
        return form_page(request, staff, form, errors=_translated(errors, staff), status=422)
    try:
        campaign = lifecycle.create_campaign(
            request.app.state.ctx, fields={"type": kind, **{k: v for k, v in fields.items() if v is not None}},
            actor=staff.username,
        )
    except ServiceError as exc:
        return form_page(request, staff, form, errors=refusal_messages(exc, staff.locale, form.renamed_errors()),
                         status=status_of(exc))
    if data.get("then") == "publish":
        return publish(request, staff, campaign["id"], form=form)
    # The manual's order: a type with members goes on to 绑定会员, its 下一步 back to the plan.
    following = f"{detail_path(campaign['id'])}/members" if uses_members(campaign) else detail_path(campaign["id"])
    return redirect(f"{following}?done=saved")


@router.get("/{campaign_id}/edit")
def edit_campaign(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    try:
        campaign = lifecycle.get_campaign(request.app.state.ctx, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    return form_page(request, staff, CampaignForm.of(campaign, request.app.state.ctx.zone), campaign=campaign)


@router.post("/{campaign_id}/edit")
async def update_campaign(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return await with_form(request, _update, staff, campaign_id)


def _update(request: Request, staff: Staff, campaign_id: int, data) -> Response:
    ctx = request.app.state.ctx
    try:
        campaign = lifecycle.get_campaign(ctx, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    typed = CampaignForm.typed(campaign["type"], data)
    if campaign["status"] != Status.DRAFT:
        return _update_published(request, staff, campaign, typed)
    if data.get("rows"):
        return form_page(request, staff, typed.edited(str(data["rows"])), campaign=campaign)
    form = typed.compacted()
    fields, errors = form.fields(ctx.zone)
    if errors:
        return form_page(request, staff, form, campaign=campaign, errors=_translated(errors, staff), status=422)
    try:
        lifecycle.update_campaign(ctx, campaign_id, changes=fields, actor=staff.username)
    except ServiceError as exc:
        return form_page(request, staff, form, campaign=campaign, status=status_of(exc),
                         errors=refusal_messages(exc, staff.locale, form.renamed_errors()))
    if data.get("then") == "publish":
        return publish(request, staff, campaign_id, form=form)
    return redirect(f"{detail_path(campaign_id)}?done=saved")


def _update_published(request: Request, staff: Staff, campaign: dict, typed: CampaignForm) -> Response:
    """Only the rules text, a later end and more packages; the service says what it refuses (409)."""
    ctx = request.app.state.ctx
    shown = CampaignForm.of(campaign, ctx.zone)
    changes, errors = typed.published_changes(shown, ctx.zone)
    form = CampaignForm(type=campaign["type"], values={**shown.values, **{k: typed.values[k] for k in changes}},
                        reward=shown.reward, tiers=shown.tiers)
    if errors:
        return form_page(request, staff, form, campaign=campaign, errors=_translated(errors, staff), status=422)
    if not changes:
        return redirect(f"{detail_path(campaign['id'])}?done=unchanged")
    try:
        lifecycle.update_campaign(ctx, campaign["id"], changes=changes, actor=staff.username)
    except ServiceError as exc:
        return form_page(request, staff, form, campaign=campaign, status=status_of(exc),
                         errors=refusal_messages(exc, staff.locale, {}))
    return redirect(f"{detail_path(campaign['id'])}?done=updated")


def form_page(request: Request, staff: Staff, form: CampaignForm, *, campaign: dict | None = None,
              errors: dict | None = None, status: int = 200, flash: str | None = None) -> Response:
    ctx = request.app.state.ctx
    enabled = vouchers.list_templates(ctx, enabled=True, limit=MAX_LIMIT)["items"]
    action = f"{detail_path(campaign['id'])}/edit" if campaign else f"/admin/campaigns/new?type={form.type}"
    return page(request, staff, "admin/campaigns/form.html", status=status, nav="campaigns", form=form,
                campaign=campaign, errors=errors or {}, templates=enabled, action=action,
                station_names=admin_views.station_names(ctx, (s for t in enabled for s in t["station_ids"])),
                uses_members=CAMPAIGN_TYPES[form.type].USES_MEMBERS,
                flash=flash or (say(staff, "Please correct the fields marked below.") if errors else None),
                flash_kind="error" if errors else None)


def _translated(errors: dict[str, Reason], staff: Staff) -> dict[str, str]:
    gettext = translations(staff.locale).gettext
    return {name: refusals.say(reason, gettext) for name, reason in errors.items()}


def say(staff: Staff, message: str) -> str:
    """``message`` in the reader's language."""
    return translations(staff.locale).gettext(message)


# --- 发布 and 停止 ----------------------------------------------------------------------------------

@router.get("/{campaign_id}/publish")
def confirm_publish(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return _confirm(request, staff, campaign_id, "publish")


@router.get("/{campaign_id}/stop")
def confirm_stop(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return _confirm(request, staff, campaign_id, "stop")


@router.get("/{campaign_id}/delete")
def confirm_delete(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return _confirm(request, staff, campaign_id, "delete")


def _confirm(request: Request, staff: Staff, campaign_id: int, action: str) -> Response:
    """发布 shows what publishing will mean (members bound, packages, shortfall, cost, warnings) first."""
    ctx = request.app.state.ctx
    try:
        campaign = lifecycle.get_campaign(ctx, campaign_id)
        check = publish_check.check_publish(ctx, campaign_id) if action == "publish" else None
    except NotFound:
        return no_such_campaign(request, staff)
    return page(request, staff, "admin/campaigns/confirm.html", nav="campaigns", campaign=campaign, action=action,
                uses_members=uses_members(campaign), check=check,
                warnings=warning_messages(check.warnings, staff.locale) if check else [])


@router.post("/{campaign_id}/publish")
def publish_campaign(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return publish(request, staff, campaign_id)


def publish(request: Request, staff: Staff, campaign_id: int, *, form: CampaignForm | None = None) -> Response:
    """Published → the detail. Refused for its fields (422) → the form, each reason beside its field
    and what was typed kept; refused for its state (409) → the detail saying why."""
    ctx = request.app.state.ctx
    if form is not None and publish_check.check_publish(ctx, campaign_id).warnings:
        # 保存并发布 with something to warn about: saved; the confirmation says what before publishing.
        return redirect(f"{detail_path(campaign_id)}/publish")
    try:
        lifecycle.publish_campaign(ctx, campaign_id, actor=staff.username)
    except NotFound:
        return no_such_campaign(request, staff)
    except Invalid as exc:
        campaign = lifecycle.get_campaign(ctx, campaign_id)
        form = form or CampaignForm.of(campaign, ctx.zone)
        return form_page(request, staff, form, campaign=campaign, status=422,
                         errors=refusal_messages(exc, staff.locale, form.renamed_errors()),
                         flash=say(staff, "The campaign cannot be published yet: see the fields marked below."))
    except ServiceError as exc:  # not a draft any more
        return detail_page(request, staff, campaign_id, status=status_of(exc),
                           refusal=say(staff, "Only a draft can be published."))
    return redirect(f"{detail_path(campaign_id)}?done=published")


@router.post("/{campaign_id}/stop")
def stop_campaign(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return _change_state(request, staff, campaign_id, lifecycle.stop_campaign, f"{detail_path(campaign_id)}?done=stopped",
                         N_("Only a scheduled or running campaign can be stopped."))


@router.post("/{campaign_id}/delete")
def delete_campaign(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return _change_state(request, staff, campaign_id, lifecycle.delete_draft, "/admin/campaigns?done=deleted",
                         N_("Only a draft can be deleted."))


def _change_state(request: Request, staff: Staff, campaign_id: int, change, done: str, refused: str) -> Response:
    """停止 or 删除: done → ``done``; refused for the campaign's state (changed meanwhile) → the detail saying so."""
    try:
        change(request.app.state.ctx, campaign_id, actor=staff.username)
    except NotFound:
        return no_such_campaign(request, staff)
    except ServiceError as exc:
        return detail_page(request, staff, campaign_id, status=status_of(exc), refusal=say(staff, refused))
    return redirect(done)


# --- 查看: the detail with live stats --------------------------------------------------------------

@router.get("/{campaign_id}")
def campaign_detail(request: Request, staff: StaffDep, campaign_id: IntId) -> Response:
    return detail_page(request, staff, campaign_id)


@router.get("/{campaign_id}/stats")
def campaign_stats(request: Request, staff: StaffDep, campaign_id: IntId) -> Response:
    """The stats fragment the detail page reloads every few seconds (htmx)."""
    try:
        figures = _figures(request, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    return page(request, staff, "admin/campaigns/_stats.html", campaign_id=campaign_id, **figures)


def detail_page(request: Request, staff: Staff, campaign_id: int, *, status: int = 200,
                refusal: str | None = None) -> Response:
    ctx = request.app.state.ctx
    try:
        campaign = lifecycle.get_campaign(ctx, campaign_id)
        figures = _figures(request, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    names = {t["id"]: t for t in vouchers.list_templates(ctx, limit=MAX_LIMIT)["items"]}
    return page(request, staff, "admin/campaigns/detail.html", status=status, nav="campaigns", campaign=campaign,
                templates=names, uses_members=uses_members(campaign),
                skipped=_skipped(ctx, campaign, request.query_params.get("skipped_cursor")),
                flash=refusal or done_message(request, staff.locale, DONE),
                flash_kind="error" if refusal else None, campaign_id=campaign_id, **figures)


def _skipped(ctx, campaign: dict, cursor: str | None) -> dict | None:
    """Once a one-time grant has started: the bound members given no package (a page, and how many)."""
    issue_at = campaign["issue_at"]
    if not CAMPAIGN_TYPES[campaign["type"]].GRANTS_AT_ISSUE_AT or issue_at is None or issue_at > ctx.clock.now():
        return None
    try:
        found = binding.list_skipped(ctx, campaign["id"], limit=PAGE_SIZE, cursor=cursor or None)
    except Invalid:  # a cursor that is not ours: the first page
        found = binding.list_skipped(ctx, campaign["id"], limit=PAGE_SIZE)
    return {"count": binding.count_skipped(ctx, campaign["id"]), "items": found.items, "next_cursor": found.next_cursor}


def _figures(request: Request, campaign_id: int) -> dict:
    ctx = request.app.state.ctx
    return {"stats": stats.campaign_stats(ctx, campaign_id),
            "series": [(day.strftime("%m-%d"), n) for day, n in
                       stats.packages_given_per_day(ctx, campaign_id, days=CHART_DAYS)]}
