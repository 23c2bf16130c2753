"""绑定会员: find members by their attributes (会员属性查找), bind them one by one, the selected rows
(批量绑定) or every result of the search at once (one INSERT … SELECT in the service); the bound list
with 解绑; 下一步 goes on to 发布. 绑定/解绑 are offered only while the type's binding rule allows them."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import IntId
from evperks.domain.campaigns import Status
from evperks.services import members
from evperks.services.campaigns import binding, lifecycle
from evperks.services.errors import Invalid, NotFound, ServiceError
from evperks.services.texts import N_
from evperks.web import forms
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.campaigns import detail_path, no_such_campaign, uses_members, with_form
from evperks.web.admin.paging import PAGE_SIZE, page_number
from evperks.web.admin.replies import redirect
from evperks.web.i18n import translations

router = APIRouter(prefix="/admin/campaigns", include_in_schema=False)


@router.get("/{campaign_id}/members")
def members_page(request: Request, staff: StaffDep, campaign_id: IntId) -> Response:
    return _members_page(request, staff, campaign_id, request.query_params)


def _members_page(request: Request, staff: Staff, campaign_id: int, query, *, status: int = 200,
                  refusal: str | None = None) -> Response:
    ctx = request.app.state.ctx
    try:
        campaign = lifecycle.get_campaign(ctx, campaign_id)
    except NotFound:
        return no_such_campaign(request, staff)
    search = _search_of(query)
    found = bound = marks = None
    errors: dict[str, str] = {}
    if uses_members(campaign):
        try:
            flt = forms.member_search(search, ctx.zone)
            found = members.search_members_numbered(ctx, flt, page=page_number(query), size=PAGE_SIZE)
            marks = binding.search_binding(ctx, campaign_id, flt, [m["id"] for m in found["items"]])
        except Invalid as exc:
            errors = forms.error_messages(exc, staff.locale)
        bound = binding.list_bound_numbered(ctx, campaign_id, page=page_number(query, "bound_page"), size=PAGE_SIZE)
    return page(request, staff, "admin/campaigns/members.html", status=status, nav="campaigns", campaign=campaign,
                search=search, searched=bool(_given(search)), errors=errors, found=found, bound=bound,
                bound_ids=set(marks["bound_ids"]) if marks else set(), found_bound=marks["found_bound"] if marks else 0,
                uses_members=uses_members(campaign), next_step=_next_step(campaign),
                binding_open=binding.binding_open(ctx, campaign),
                flash=refusal or _done(request, staff), flash_kind="error" if refusal else None)


def _search_of(query) -> dict[str, str]:
    return {name: (query.get(name) or "").strip() for name in forms.MEMBER_SEARCH_FIELDS}


def _given(search: dict[str, str]) -> dict[str, str]:
    """The search fields filled in (for a tidy address)."""
    return {name: value for name, value in search.items() if value}


def _next_step(campaign: dict) -> str:
    """下一步: a draft goes on to step 4, 发布 (its confirmation); a published campaign back to its detail."""
    path = detail_path(campaign["id"])
    return f"{path}/publish" if campaign["status"] == Status.DRAFT else path


def _done(request: Request, staff: Staff) -> str | None:
    gettext = translations(staff.locale).gettext
    query = request.query_params
    if query.get("bound", "").isdigit() and query.get("total", "").isdigit():
        return gettext("Newly bound: %(n)s members; %(total)s bound in all.") % {
            "n": query["bound"], "total": query["total"]}
    if query.get("unbound", "").isdigit() and query.get("total", "").isdigit():
        return gettext("Unbound: %(n)s members; %(total)s bound in all.") % {
            "n": query["unbound"], "total": query["total"]}
    return {"saved": gettext("Draft saved.")}.get(query.get("done", ""))


# --- binding ---------------------------------------------------------------------------------------

@router.post("/{campaign_id}/members/bind")
async def bind_members(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return await with_form(request, _change_binding, staff, campaign_id, _bind)


@router.post("/{campaign_id}/members/unbind")
async def unbind_members(request: Request, staff: ChangerDep, campaign_id: IntId) -> Response:
    return await with_form(request, _change_binding, staff, campaign_id, _unbind)


def _change_binding(request: Request, staff: Staff, campaign_id: int, change, data) -> Response:
    """Run ``change``; back to the page with the search kept and what changed, or the page saying why not."""
    gettext = translations(staff.locale).gettext
    try:
        outcome = change(request.app.state.ctx, staff, campaign_id, data)
    except NotFound:
        return no_such_campaign(request, staff)
    except ServiceError as exc:
        return _members_page(request, staff, campaign_id, data, status=status_of(exc), refusal=_refusal(exc, gettext))
    if isinstance(outcome, str):
        return _members_page(request, staff, campaign_id, data, status=422, refusal=gettext(outcome))
    return redirect(f"{detail_path(campaign_id)}/members?{urlencode({**_given(_search_of(data)), **outcome})}")


def _bind(ctx, staff: Staff, campaign_id: int, data) -> dict | str:
    """绑定 (one row: ``one``), 批量绑定 (the ticked rows) or 绑定全部搜索结果 (``bind=all``)."""
    if data.get("one"):
        result = binding.bind_members(ctx, campaign_id, member_ids=[str(data["one"])], actor=staff.username)
    elif data.get("bind") == "all":
        flt = forms.member_search(_search_of(data), ctx.zone)
        result = binding.bind_members(ctx, campaign_id, flt=flt, actor=staff.username)
    elif chosen := _ticked(data):
        result = binding.bind_members(ctx, campaign_id, member_ids=chosen, actor=staff.username)
    else:
        return N_("Tick at least one member first.")
    return {"bound": result["bound"], "total": result["total"]}


def _unbind(ctx, staff: Staff, campaign_id: int, data) -> dict | str:
    """解绑 (one row: ``one``), the ticked bound rows, every bound member of the search (``unbind=found``)
    or everyone bound (``unbind=all``)."""
    if data.get("one"):
        result = binding.unbind_members(ctx, campaign_id, member_ids=[str(data["one"])], actor=staff.username)
    elif data.get("unbind") == "found":
        flt = forms.member_search(_search_of(data), ctx.zone)
        result = binding.unbind_members(ctx, campaign_id, flt=flt, actor=staff.username)
    elif data.get("unbind") == "all":
        result = binding.unbind_members(ctx, campaign_id, everyone=True, actor=staff.username)
    elif chosen := _ticked(data):
        result = binding.unbind_members(ctx, campaign_id, member_ids=chosen, actor=staff.username)
    else:
        return N_("Tick at least one member first.")
    return {"unbound": result["unbound"], "total": result["total"]}


def _ticked(data) -> list[str]:
    return [str(m) for m in data.getlist("member_ids") if m]


def _refusal(exc: ServiceError, gettext) -> str:
    """Why binding was refused, in the reader's language: the campaign's type or state, or the input."""
    if isinstance(exc, Invalid) and exc.errors and exc.errors[0].field != "member_ids":
        return gettext("Please correct the search fields.")
    if isinstance(exc, Invalid):
        return gettext("Some of these members do not exist.")
    return gettext("This campaign's members can no longer change.")
