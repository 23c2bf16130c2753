"""代金券管理 (首页 / 营收管理 / 充电计费管理 / 代金券管理): templates, enable/disable, manual issue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import IntId
from evperks.domain.vouchers import DaysValidity, DeductionType, VoucherKind, WindowValidity
from evperks.services import admin_views, vouchers
from evperks.services.errors import Conflict, Invalid, NotFound, ServiceError
from evperks.web import forms, refusals
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.paging import page_number
from evperks.web.admin.replies import done_message, missing, redirect
from evperks.web.i18n import translations

router = APIRouter(prefix="/admin/voucher-templates", include_in_schema=False)

SPEC_FIELDS = ("name", "face_value_fen", "deduction_type", "station_ids", "validity", "min_spend_fen", "kind",
               "percent_off", "max_deduction_fen", "usable_hours", "usable_weekdays")
# Service field names → the form's.
FORM_FIELD = {"face_value_fen": "face_value", "min_spend_fen": "min_spend", "validity": "validity_type",
              "validity.end": "window_end", "validity.start": "window_start", "validity.days": "validity_days", "template_id": "", "member_id": "member",
              "max_deduction_fen": "max_deduction", "usable_hours.0.from": "usable_from", "usable_hours.0.to": "usable_to",
              "usable_hours": "usable_from"}
DONE = {
    "created": "Voucher template created.",
    "saved": "Changes saved.",
    "unchanged": "Nothing was changed.",
    "enabled": "The template is enabled.",
    "disabled": "The template is disabled.",
}
MAX_ISSUE = 100
PAGE_SIZE = 20


# --- list ------------------------------------------------------------------------------------------

@router.get("")
def template_list(request: Request, staff: StaffDep) -> Response:
    status = request.query_params.get("status", "")
    enabled = {"enabled": True, "disabled": False}.get(status)
    name = (request.query_params.get("name") or "").strip()[:100]
    found = vouchers.list_templates_numbered(request.app.state.ctx, enabled=enabled, name=name or None,
                                             page=page_number(request.query_params), size=PAGE_SIZE)
    names = admin_views.station_names(request.app.state.ctx, (s for t in found["items"] for s in t["station_ids"]))
    return page(request, staff, "admin/vouchers/list.html", nav="vouchers", templates=found["items"], found=found,
                shown=status, name=name, station_names=names, flash=done_message(request, staff.locale, DONE))


# --- create and edit -------------------------------------------------------------------------------

def template_spec(form, zone) -> vouchers.TemplateSpec:
    """The template the 新建/编辑 form describes; every field it refuses is named in one Invalid."""
    fields = forms.Fields()
    name = fields.take(forms.text, form.get("name"), "name", required=True)
    kind = VoucherKind(fields.take(forms.choice, form.get("kind") or "amount", "kind", tuple(VoucherKind)) or "amount")
    face_value = percent_off = cap = None
    if kind is VoucherKind.AMOUNT:  # the other kind's fields are ignored (the form hides them)
        face_value = fields.take(forms.yuan_to_fen, form.get("face_value"), "face_value", positive=True)
        if face_value is None and "face_value" not in fields.reasons:
            fields.refuse("face_value", "form.required", "Required")
    else:
        percent_off = fields.take(_percent, form.get("percent_off"))
        cap = fields.take(forms.yuan_to_fen, form.get("max_deduction"), "max_deduction", positive=True)
    hours = fields.take(_hours, form.get("usable_from"), form.get("usable_to"))
    weekdays = fields.take(_weekdays, _listed(form, "usable_weekdays"))
    deduction = fields.take(forms.choice, form.get("deduction_type"), "deduction_type", tuple(DeductionType))
    station_ids = tuple(sorted({s for s in _listed(form, "station_ids") if s}))
    validity = fields.take(_validity, form, zone)
    min_spend = fields.take(forms.yuan_to_fen, form.get("min_spend"), "min_spend")
    fields.check()
    return vouchers.TemplateSpec(name=name, face_value_fen=face_value, deduction_type=DeductionType(deduction),
                                 validity=validity, station_ids=station_ids, min_spend_fen=min_spend or 0, kind=kind,
                                 percent_off=percent_off, max_deduction_fen=cap, usable_hours=hours,
                                 usable_weekdays=weekdays)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _percent(value: str | None) -> int | None:
    """A whole 1–99; blank is None (the service then says a percent voucher needs it). Refused with the
    API's words: the range itself is the domain's rule."""
    if _blank(value):
        return None
    text = value.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise Invalid("must be a whole number from 1 to 99", field="percent_off", code="voucher.percent_range")
    return int(text)


def _hours(start: str | None, end: str | None) -> tuple[dict, ...]:
    """The form's one 可用时段 range ("HH:MM" each, from <input type="time">); both blank: any hour. The
    API takes several; the form edits the first."""
    if _blank(start) and _blank(end):
        return ()
    fields = forms.Fields()
    for name, value in (("usable_from", start), ("usable_to", end)):
        if _blank(value):
            fields.refuse(name, "form.required", "Required")
    fields.check()
    return ({"from": start.strip(), "to": end.strip()},)


def _weekdays(values: list[str]) -> tuple[int, ...]:
    if any(v not in ("1", "2", "3", "4", "5", "6", "7") for v in values):
        raise Invalid("Choose one of the options", field="usable_weekdays", code="form.not_an_option")
    return tuple(sorted({int(v) for v in values}))


def _listed(form, name: str) -> list[str]:
    """Every value of a multi-select, from posted form data or from a dict of stored values."""
    return form.getlist(name) if isinstance(form, FormData) else list(form.get(name, []))


def _validity(form, zone) -> DaysValidity | WindowValidity:
    kind = forms.choice(form.get("validity_type"), "validity_type", ("days", "window"))
    if kind == "days":
        return DaysValidity(days=forms.positive_int(form.get("validity_days"), "validity_days", maximum=3650))
    fields = forms.Fields()
    start = fields.take(forms.local_datetime, form.get("window_start"), "window_start", zone)
    end = fields.take(forms.local_datetime, form.get("window_end"), "window_end", zone)
    for name, value in (("window_start", start), ("window_end", end)):
        if value is None and name not in fields.reasons:
            fields.refuse(name, "form.required", "Required")
    if start and end and end <= start:
        fields.refuse("window_end", "form.end_not_after_start", "The end must be after the start")
    fields.check()
    return WindowValidity(start=start, end=end)


def form_values(template: dict, zone) -> dict:
    """What the edit form shows for a stored template."""
    validity = template["validity"]
    return {
        "name": template["name"],
        "face_value": forms.for_display(template["face_value_fen"]),
        "deduction_type": template["deduction_type"],
        "station_ids": list(template["station_ids"]),
        "validity_type": validity["type"],
        "validity_days": str(validity.get("days") or ""),
        "window_start": forms.wall_time(validity.get("start"), zone),
        "window_end": forms.wall_time(validity.get("end"), zone),
        "min_spend": forms.for_display(template["min_spend_fen"]),
        "kind": template["kind"],
        "percent_off": str(template["percent_off"] or ""),
        "max_deduction": forms.for_display(template["max_deduction_fen"]),
        "usable_from": template["usable_hours"][0]["from"] if template["usable_hours"] else "",
        "usable_to": template["usable_hours"][0]["to"] if template["usable_hours"] else "",
        "usable_weekdays": [str(d) for d in template["usable_weekdays"]],
    }


def _typed(form: FormData) -> dict:
    """What the user typed, to show again when the form is refused."""
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    values["station_ids"] = form.getlist("station_ids")
    values["usable_weekdays"] = form.getlist("usable_weekdays")
    return values


def _form_page(request: Request, staff: Staff, *, template: dict | None, values: dict, errors: dict | None = None,
               status: int = 200, problem: str | None = None) -> Response:
    ctx = request.app.state.ctx
    locked = _locked(ctx, template["id"]) if template else False
    return page(request, staff, "admin/vouchers/form.html", status=status, nav="vouchers", voucher_template=template,
                values=values, errors=errors or {}, problem=problem, locked=locked,
                stations=admin_views.station_choices(request.app.state.ctx))


@router.get("/new")
def new_form(request: Request, staff: ChangerDep) -> Response:
    return _form_page(request, staff, template=None,
                      values={"deduction_type": "total", "validity_type": "days", "validity_days": "30"})


@router.post("")
async def create(request: Request, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_create, request, staff, await request.form())


def _create(request: Request, staff: Staff, form: FormData) -> Response:
    ctx = request.app.state.ctx
    try:
        created = vouchers.create_template(ctx, template_spec(form, ctx.zone), actor=staff.username)
    except ServiceError as exc:
        return _refused_form(request, staff, exc, template=None, form=form)
    return redirect(f"/admin/voucher-templates/{created['id']}?done=created")


def _refused_form(request: Request, staff: Staff, exc: ServiceError, *, template: dict | None, form: FormData) -> Response:
    errors = forms.error_messages(exc, staff.locale, FORM_FIELD)
    problem = errors.pop("", None)
    if isinstance(exc, Conflict):
        problem = refusals.say_error(exc, translations(staff.locale).gettext)
    return _form_page(request, staff, template=template, values=_typed(form), errors=errors, status=status_of(exc),
                      problem=problem)


@router.get("/{template_id:int}/edit")
def edit_form(request: Request, template_id: IntId, staff: ChangerDep) -> Response:
    ctx = request.app.state.ctx
    try:
        template = vouchers.get_template(ctx, template_id)
    except NotFound:
        return missing(request, staff, nav="vouchers")
    return _form_page(request, staff, template=template, values=form_values(template, ctx.zone))


@router.post("/{template_id:int}")
async def save(request: Request, template_id: IntId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_save, request, template_id, staff, await request.form())


def _save(request: Request, template_id: int, staff: Staff, form: FormData) -> Response:
    """PATCH semantics: only the fields whose value the user changed are sent to the service, so a
    template a campaign uses can still be renamed."""
    ctx = request.app.state.ctx
    try:
        template = vouchers.get_template(ctx, template_id)
    except NotFound:
        return missing(request, staff, nav="vouchers")
    try:
        before = template_spec(form_values(template, ctx.zone), ctx.zone)
        after = template_spec(_kept_if_locked(form, template, ctx) if _locked(ctx, template_id) else form, ctx.zone)
        changes = {f: getattr(after, f) for f in SPEC_FIELDS if getattr(after, f) != getattr(before, f)}
        if changes:
            vouchers.update_template(ctx, template_id, changes, actor=staff.username)
    except ServiceError as exc:
        return _refused_form(request, staff, exc, template=template, form=form)
    return redirect(f"/admin/voucher-templates/{template_id}?done={'saved' if changes else 'unchanged'}")


def _kept_if_locked(form: FormData, template: dict, ctx) -> dict:
    """Locked fields are shown disabled, so not posted: they keep their stored values. One posted anyway
    (a form opened before a campaign took the template) is taken as posted, and the service refuses it."""
    values = form_values(template, ctx.zone)
    values.update({key: form.getlist(key) if key in ("station_ids", "usable_weekdays") else form.get(key) for key in form})
    return values


def _locked(ctx, template_id: int) -> bool:
    return bool(vouchers.locked_fields(ctx, template_id))


@router.post("/{template_id:int}/enabled")
async def set_enabled(request: Request, template_id: IntId, staff: ChangerDep) -> Response:
    enabled = (await request.form()).get("enabled") == "yes"
    return await run_in_threadpool(_set_enabled, request, template_id, staff, enabled)


def _set_enabled(request: Request, template_id: int, staff: Staff, enabled: bool) -> Response:
    try:
        vouchers.update_template(request.app.state.ctx, template_id, {"enabled": enabled}, actor=staff.username)
    except NotFound:
        return missing(request, staff, nav="vouchers")
    return redirect(f"/admin/voucher-templates/{template_id}?done={'enabled' if enabled else 'disabled'}")


# --- detail and manual issue -----------------------------------------------------------------------

@router.get("/{template_id:int}")
def detail(request: Request, template_id: IntId, staff: StaffDep) -> Response:
    return _detail_page(request, staff, template_id, values={"quantity": "1"})


def _detail_page(request: Request, staff: Staff, template_id: int, *, values: dict, errors: dict | None = None,
                 status: int = 200, problem: str | None = None) -> Response:
    ctx = request.app.state.ctx
    try:
        template = vouchers.get_template(ctx, template_id)
    except NotFound:
        return missing(request, staff, nav="vouchers")
    return page(request, staff, "admin/vouchers/detail.html", status=status, nav="vouchers", voucher_template=template,
                station_names=admin_views.station_names(ctx, template["station_ids"]), values=values,
                errors=errors or {}, problem=problem, flash=done_message(request, staff.locale, DONE))


@router.post("/{template_id:int}/issue")
async def issue(request: Request, template_id: IntId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_issue, request, template_id, staff, await request.form())


def _issue(request: Request, template_id: int, staff: Staff, form: FormData) -> Response:
    """发放给会员: the member by id or phone; then the member's page shows what they were given."""
    ctx = request.app.state.ctx
    try:
        fields = forms.Fields()
        member_id = fields.take(member_by_id_or_phone, ctx, form.get("member"))
        quantity = fields.take(forms.positive_int, form.get("quantity"), "quantity", maximum=MAX_ISSUE)
        reason = fields.take(forms.text, form.get("reason"), "reason", required=True, max_length=500)
        fields.check()
        vouchers.issue_manual(ctx, member_id=member_id, template_id=template_id, quantity=quantity, reason=reason,
                              issued_by=staff.username)
    except ServiceError as exc:
        errors = forms.error_messages(exc, staff.locale, FORM_FIELD)
        problem = errors.pop("", None)
        return _detail_page(request, staff, template_id, values=_typed(form), errors=errors, status=status_of(exc),
                            problem=problem)
    return redirect(f"/admin/members/{member_id}?done=issued")


def member_by_id_or_phone(ctx, value: str | None) -> str:
    """A member named by their id or their 11-digit phone number."""
    given = forms.text(value, "member", required=True, max_length=64)
    found = admin_views.member_id_by_phone(ctx, given) if given.isdigit() and len(given) == 11 else None
    if found is None:
        found = given if admin_views.member_exists(ctx, given) else None
    if found is None:
        raise Invalid("No member has this id or phone number", field="member", code="member.not_found_by_id_or_phone")
    return found
