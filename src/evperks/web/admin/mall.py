"""积分商城 (console): the items with their stock, stock left and exchanges; create, edit, enable/disable.

The form speaks the operator's wall time and whole numbers; its field names are the service's
(``reward.0.template_id``), so a refusal lands beside the input it names, in the words the campaigns'
refusal table gives its code (the reward rule is the campaigns' package rule).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import IntId
from evperks.domain.mall import MAX_STOCK, ItemSpec
from evperks.domain.points import MAX_POINTS
from evperks.services import mall, vouchers
from evperks.services.errors import Invalid, NotFound, ServiceError
from evperks.services.mall.items import SPEC_FIELDS
from evperks.services.pagination import MAX_LIMIT
from evperks.web import forms
from evperks.web.admin import campaign_refusals
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.replies import done_message, missing, redirect

router = APIRouter(prefix="/admin/mall", include_in_schema=False)
PAGE_SIZE = 20
DONE = {
    "created": "Mall item created.",
    "saved": "Changes saved.",
    "unchanged": "Nothing was changed.",
    "enabled": "The item is on sale.",
    "disabled": "The item is off sale.",
}
_REWARD_KEY = re.compile(r"reward\.(?P<row>\d{1,2})\.(?P<part>template_id|quantity)")


# --- list ------------------------------------------------------------------------------------------

@router.get("")
def item_list(request: Request, staff: StaffDep) -> Response:
    ctx = request.app.state.ctx
    status = request.query_params.get("status", "")
    try:
        found = mall.list_items(ctx, enabled={"enabled": True, "disabled": False}.get(status), limit=PAGE_SIZE,
                                cursor=request.query_params.get("cursor") or None)
    except Invalid:  # a cursor that is not ours: start from the first page
        return redirect(request.url.path)
    return page(request, staff, "admin/mall/list.html", nav="mall", mall_items=found.items, next_cursor=found.next_cursor,
                shown=status, templates={t["id"]: t for t in _templates(ctx, enabled_only=False)},
                flash=done_message(request, staff.locale, DONE))


# --- create and edit -------------------------------------------------------------------------------

@router.get("/new")
def new_form(request: Request, staff: ChangerDep) -> Response:
    blank = {"name": "", "points_price": "", "stock": "", "per_member_limit": "1", "start_at": "", "end_at": ""}
    return _form_page(request, staff, item=None, values=blank, rows=[_row({})])


@router.post("")
async def create(request: Request, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_create, request, staff, await request.form())


def _create(request: Request, staff: Staff, form: FormData) -> Response:
    ctx = request.app.state.ctx
    values, rows = _typed(form)
    if command := form.get("rows"):
        return _form_page(request, staff, item=None, values=values, rows=_edited(rows, str(command)))
    try:
        created = mall.create_item(ctx, _spec(values, rows, ctx.zone, enabled=True), actor=staff.username)
    except ServiceError as exc:
        return _refused(request, staff, exc, item=None, values=values, rows=rows)
    return redirect(f"/admin/mall?done=created#item-{created.id}")


@router.get("/{item_id:int}/edit")
def edit_form(request: Request, item_id: IntId, staff: ChangerDep) -> Response:
    ctx = request.app.state.ctx
    try:
        item = mall.get_item(ctx, item_id)
    except NotFound:
        return missing(request, staff, nav="mall")
    values, rows = _shown(item, ctx.zone)
    return _form_page(request, staff, item=item, values=values, rows=rows)


@router.post("/{item_id:int}")
async def save(request: Request, item_id: IntId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_save, request, item_id, staff, await request.form())


def _save(request: Request, item_id: int, staff: Staff, form: FormData) -> Response:
    """Only the fields whose value changed go to the service (an item whose template was disabled since
    can still be renamed or restocked)."""
    ctx = request.app.state.ctx
    try:
        item = mall.get_item(ctx, item_id)
    except NotFound:
        return missing(request, staff, nav="mall")
    values, rows = _typed(form)
    if command := form.get("rows"):
        return _form_page(request, staff, item=item, values=values, rows=_edited(rows, str(command)))
    try:
        # Compared with the form as it was shown (times to the minute), not with the stored item.
        before = _spec(*_shown(item, ctx.zone), ctx.zone, enabled=item.enabled)
        after = _spec(values, rows, ctx.zone, enabled=item.enabled)
        changes = {f: getattr(after, f) for f in SPEC_FIELDS if getattr(after, f) != getattr(before, f)}
        if changes:
            mall.update_item(ctx, item_id, changes, actor=staff.username)
    except ServiceError as exc:
        return _refused(request, staff, exc, item=item, values=values, rows=rows)
    return redirect(f"/admin/mall?done={'saved' if changes else 'unchanged'}#item-{item_id}")


@router.post("/{item_id:int}/enabled")
async def set_enabled(request: Request, item_id: IntId, staff: ChangerDep) -> Response:
    enabled = (await request.form()).get("enabled") == "yes"
    return await run_in_threadpool(_set_enabled, request, item_id, staff, enabled)


def _set_enabled(request: Request, item_id: int, staff: Staff, enabled: bool) -> Response:
    try:
        mall.update_item(request.app.state.ctx, item_id, {"enabled": enabled}, actor=staff.username)
    except NotFound:
        return missing(request, staff, nav="mall")
    return redirect(f"/admin/mall?done={'enabled' if enabled else 'disabled'}#item-{item_id}")


# --- the form ↔ the service --------------------------------------------------------------------------

def _spec(values: dict[str, str], rows: list[dict[str, str]], zone, *, enabled: bool) -> ItemSpec:
    """The item the form describes; every input it cannot read is named in one Invalid."""
    f = forms.Fields()
    reward = tuple(
        (f.take(forms.whole_number, row["template_id"], f"reward.{i}.template_id", minimum=1, maximum=2**62),
         f.take(forms.whole_number, row["quantity"], f"reward.{i}.quantity"))
        for i, row in enumerate(rows)
    )
    spec = {
        "name": f.take(forms.text, values["name"], "name", required=True, max_length=100),
        "points_price": f.take(forms.whole_number, values["points_price"], "points_price", maximum=MAX_POINTS),
        "stock": f.take(forms.whole_number, values["stock"], "stock", maximum=MAX_STOCK),
        "per_member_limit": f.take(forms.whole_number, values["per_member_limit"], "per_member_limit", maximum=MAX_STOCK),
        "start_at": f.take(forms.local_datetime, values["start_at"], "start_at", zone),
        "end_at": f.take(forms.local_datetime, values["end_at"], "end_at", zone),
    }
    for name in ("points_price", "stock"):
        if spec[name] is None and name not in f.reasons:
            f.refuse(name, "form.required", "Required")
    f.check()
    return ItemSpec(reward=reward, enabled=enabled, **spec)


def _typed(form: FormData) -> tuple[dict[str, str], list[dict[str, str]]]:
    """What was typed, as text (shown again when refused); reward rows left without a template are dropped."""
    values = {name: str(form.get(name) or "").strip()
              for name in ("name", "points_price", "stock", "per_member_limit", "start_at", "end_at")}
    rows: dict[int, dict[str, str]] = {}
    for key in form.keys():
        if m := _REWARD_KEY.fullmatch(key):
            rows.setdefault(int(m["row"]), {})[m["part"]] = str(form.get(key) or "").strip()
    kept = [_row(rows[n]) for n in sorted(rows)]
    return values, [row for row in kept if row["template_id"]] if not form.get("rows") else kept


def _shown(item, zone) -> tuple[dict[str, str], list[dict[str, str]]]:
    values = {"name": item.name, "points_price": str(item.points_price), "stock": str(item.stock),
              "per_member_limit": "" if item.per_member_limit is None else str(item.per_member_limit),
              "start_at": forms.wall_time(item.start_at, zone), "end_at": forms.wall_time(item.end_at, zone)}
    return values, [_row(line) for line in item.reward]


def _row(line) -> dict[str, str]:
    return {"template_id": str(line.get("template_id") or ""), "quantity": str(line.get("quantity") or "1")}


def _edited(rows: list[dict[str, str]], command: str) -> list[dict[str, str]]:
    """``add:reward`` adds a row, ``remove:reward.N`` removes one (the campaign form's row commands)."""
    rows = list(rows)
    action, _, path = command.partition(":")
    if action == "add" and path == "reward":
        rows.append(_row({}))
    elif action == "remove" and path.startswith("reward.") and path[7:].isdigit() and int(path[7:]) < len(rows):
        del rows[int(path[7:])]
    return rows


def _refused(request: Request, staff: Staff, exc: ServiceError, *, item, values: dict, rows: list) -> Response:
    errors = campaign_refusals.refusal_messages(exc, staff.locale, {})
    problem = errors.pop("", None)
    return _form_page(request, staff, item=item, values=values, rows=rows or [_row({})], errors=errors,
                      status=status_of(exc), problem=problem)


def _form_page(request: Request, staff: Staff, *, item, values: dict, rows: list, errors: dict | None = None,
               status: int = 200, problem: str | None = None) -> Response:
    return page(request, staff, "admin/mall/form.html", status=status, nav="mall", item=item, values=values,
                rows=rows, errors=errors or {}, problem=problem,
                templates=_templates(request.app.state.ctx, enabled_only=True))


def _templates(ctx, *, enabled_only: bool) -> list:
    return vouchers.list_templates(ctx, enabled=True if enabled_only else None, limit=MAX_LIMIT)["items"]
