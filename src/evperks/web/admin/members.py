"""会员: search by attributes (会员属性查找), a member's page with vouchers, points, wallet and invites;
manual points grant/deduct, voucher issue and revoke, each with a reason."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import IntId, PathId
from evperks.services import admin_views, members, sessions, vouchers
from evperks.services.errors import Invalid, NotFound, ServiceError
from evperks.services.points import ledger as points_ledger
from evperks.services.settlement.orders import member_orders
from evperks.services.wallet import ledger as wallet_ledger
from evperks.web import forms
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.paging import page_number
from evperks.web.admin.replies import done_message, missing, redirect
from evperks.web.admin.vouchers import MAX_ISSUE

router = APIRouter(prefix="/admin/members", include_in_schema=False)

PAGE_SIZE = 20
TABS = ("vouchers", "points", "wallet", "invites", "orders")
NEW_FORMS = {"quantity": "1", "adjust": "grant"}  # what the change forms start with
DONE = {
    "issued": "Vouchers issued.",
    "revoked": "The voucher is revoked.",
    "granted": "Points granted.",
    "deducted": "Points deducted.",
}


# --- search ----------------------------------------------------------------------------------------

@router.get("")
def search(request: Request, staff: StaffDep) -> Response:
    ctx = request.app.state.ctx
    params = request.query_params
    values = {name: params.get(name, "") for name in forms.MEMBER_SEARCH_FIELDS}
    try:
        flt = forms.member_search(params, ctx.zone)
        found = members.search_members_numbered(ctx, flt, page=page_number(params), size=PAGE_SIZE)
    except Invalid as exc:
        return page(request, staff, "admin/members/search.html", status=422, nav="members", values=values,
                    errors=forms.error_messages(exc, staff.locale), results=[], found=None, export_query="")
    return page(request, staff, "admin/members/search.html", nav="members", values=values, errors={},
                results=found["items"], found=found,
                export_query=urlencode({k: v for k, v in values.items() if v}))


# --- one member ------------------------------------------------------------------------------------

@router.get("/{member_id}")
def detail(request: Request, member_id: PathId, staff: StaffDep) -> Response:
    return member_page(request, staff, member_id)


def member_page(request: Request, staff: Staff, member_id: str, *, status: int = 200, values: dict | None = None,
                errors: dict | None = None, problem: str | None = None, tab: str | None = None) -> Response:
    """The member's page: profile, the change forms, and one tab's table (paginated)."""
    ctx = request.app.state.ctx
    tab = tab or request.query_params.get("tab")
    tab = tab if tab in TABS else "vouchers"
    cursor = request.query_params.get("cursor") or None
    try:
        member = members.get_member(ctx, member_id)
        relations = admin_views.invite_relations(ctx, member_id, limit=PAGE_SIZE,
                                                 cursor=cursor if tab == "invites" else None)
        rows = _tab_rows(ctx, tab, member_id, cursor) if tab != "invites" else relations["invitees"]
    except NotFound:
        return missing(request, staff, nav="members")
    except Invalid:  # a cursor that is not ours: the tab's first page
        return redirect(f"/admin/members/{quote(member_id)}?tab={tab}")
    templates = vouchers.list_templates(ctx, enabled=True, limit=200)["items"] if staff.can_change else []
    return page(request, staff, "admin/members/detail.html", status=status, nav="members", member=member,
                open_sessions=sessions.open_sessions(ctx, member_id),
                inviter=relations["inviter"], tab=tab, rows=rows["items"], next_cursor=rows["next_cursor"],
                templates=templates, values=values or NEW_FORMS, errors=errors or {},
                problem=problem, flash=done_message(request, staff.locale, DONE))


def _tab_rows(ctx, tab: str, member_id: str, cursor: str | None) -> dict:
    read = {
        "vouchers": vouchers.list_member_vouchers,
        "points": points_ledger.list_ledger,
        "wallet": wallet_ledger.member_ledger,
        "orders": member_orders,
    }[tab]
    return read(ctx, member_id=member_id, limit=PAGE_SIZE, cursor=cursor)


def _refused(request: Request, staff: Staff, member_id: str, exc: ServiceError, form: FormData, *,
             rename: dict[str, str], tab: str) -> Response:
    errors = forms.error_messages(exc, staff.locale, rename)
    problem = errors.pop("", None)
    values = {**NEW_FORMS, **{k: v for k, v in form.items() if k != "csrf_token"}}
    return member_page(request, staff, member_id, status=status_of(exc), values=values, errors=errors, problem=problem,
                       tab=tab)


@router.post("/{member_id}/points")
async def adjust_points(request: Request, member_id: PathId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_adjust_points, request, member_id, staff, await request.form())


def _adjust_points(request: Request, member_id: str, staff: Staff, form: FormData) -> Response:
    """积分 手动发放/扣减: a deduction takes valid points only, like spending; more than that is refused."""
    try:
        fields = forms.Fields()
        kind = fields.take(forms.choice, form.get("adjust"), "adjust", ("grant", "deduct"))
        points = fields.take(forms.positive_int, form.get("points"), "points")
        reason = fields.take(forms.text, form.get("points_reason"), "points_reason", required=True, max_length=500)
        fields.check()
        points_ledger.adjust(request.app.state.ctx, member_id=member_id, points=points if kind == "grant" else -points,
                             reason=reason, actor=staff.username)
    except NotFound:
        return missing(request, staff, nav="members")
    except ServiceError as exc:
        return _refused(request, staff, member_id, exc, form, rename={"reason": "points_reason"}, tab="points")
    return redirect(f"/admin/members/{quote(member_id)}?tab=points&done={'granted' if kind == 'grant' else 'deducted'}")


@router.post("/{member_id}/vouchers")
async def issue_vouchers(request: Request, member_id: PathId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_issue_vouchers, request, member_id, staff, await request.form())


def _issue_vouchers(request: Request, member_id: str, staff: Staff, form: FormData) -> Response:
    try:
        fields = forms.Fields()
        template_id = fields.take(forms.positive_int, form.get("template_id"), "template_id")
        quantity = fields.take(forms.positive_int, form.get("quantity"), "quantity", maximum=MAX_ISSUE)
        reason = fields.take(forms.text, form.get("issue_reason"), "issue_reason", required=True, max_length=500)
        fields.check()
        vouchers.issue_manual(request.app.state.ctx, member_id=member_id, template_id=template_id, quantity=quantity,
                              reason=reason, issued_by=staff.username)
    except NotFound:
        return missing(request, staff, nav="members")
    except ServiceError as exc:
        return _refused(request, staff, member_id, exc, form, rename={"reason": "issue_reason"}, tab="vouchers")
    return redirect(f"/admin/members/{quote(member_id)}?done=issued")


@router.post("/{member_id}/vouchers/{voucher_id:int}/revoke")
async def revoke(request: Request, member_id: PathId, voucher_id: IntId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_revoke, request, member_id, voucher_id, staff, await request.form())


def _revoke(request: Request, member_id: str, voucher_id: int, staff: Staff, form: FormData) -> Response:
    """撤销 an unused voucher of this member, with a reason; the error shows on that voucher's row."""
    field = f"revoke_{voucher_id}"
    try:
        reason = forms.text(form.get("reason"), field, required=True, max_length=500)
        if not admin_views.voucher_belongs_to(request.app.state.ctx, voucher_id, member_id):
            raise NotFound("voucher %(id)s does not exist", code="voucher.not_found", id=voucher_id)
        vouchers.revoke_voucher(request.app.state.ctx, voucher_id=voucher_id, reason=reason, actor=staff.username)
    except NotFound:
        return missing(request, staff, nav="members")
    except ServiceError as exc:
        return _refused(request, staff, member_id, exc, form, rename={"reason": field}, tab="vouchers")
    return redirect(f"/admin/members/{quote(member_id)}?done=revoked")
