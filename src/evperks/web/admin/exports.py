"""数据导出: CSV files of members (the current search), issued vouchers, a campaign's recipients and
charge orders, streamed batch by batch (``services.exports``), so 10⁶ rows never sit in memory.

The files open right in Excel: UTF-8 with a byte-order mark, headers in the console's language, money in
yuan, times in the operator's zone. A text cell that a spreadsheet would read as a formula (a nickname
starting with ``=``) is prefixed with ``'`` (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from evperks.api.params import IntId
from evperks.domain.timecal import start_of_local_day
from evperks.domain.units import wh_to_kwh_str
from evperks.services import exports
from evperks.services.campaigns import lifecycle
from evperks.services.errors import Invalid, NotFound
from evperks.services.texts import N_
from evperks.services.vouchers import effective_status
from evperks.web import forms
from evperks.web.admin.auth import StaffDep, page
from evperks.web.admin.replies import missing, redirect
from evperks.web.i18n import translations
from evperks.web.templating import local_time

router = APIRouter(prefix="/admin/exports", include_in_schema=False)

BOM = "\ufeff"
TIME = "%Y-%m-%d %H:%M:%S"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
VOUCHER_STATUS = {"available": N_("Available"), "used": N_("Used"), "expired": N_("Expired"), "revoked": N_("Revoked")}
DEDUCTION = {"total": N_("Total spend"), "service_fee": N_("Service fee")}
SOURCE = {"manual": N_("Issued by staff"), "campaign": N_("Campaign reward")}
ORDER_STATUS = {"settled": N_("Settled"), "partially_refunded": N_("Partially refunded"), "refunded": N_("Refunded")}


@router.get("")
def exports_page(request: Request, staff: StaffDep) -> Response:
    """What can be exported, with the order export's date range (the other lists link here too)."""
    return page(request, staff, "admin/exports.html", nav="exports", errors={},
                values={"settled_from": "", "settled_to": ""})


@router.get("/members.csv")
def members_csv(request: Request, staff: StaffDep) -> Response:
    ctx = request.app.state.ctx
    try:
        flt = forms.member_search(request.query_params, ctx.zone)
    except Invalid:  # the search page refused it too: go back there and show why
        return redirect(f"/admin/members?{request.url.query}")
    return _csv(request, staff.locale, "members", [
        (N_("Member id"), lambda r: r[0].id),
        (N_("Phone"), lambda r: r[0].phone),
        (N_("Nickname"), lambda r: _text(r[0].nickname)),
        (N_("Registration channel"), lambda r: _text(r[0].channel)),
        (N_("Registered at"), lambda r: _time(r[0].registered_at, ctx.zone)),
        (N_("Invite code"), lambda r: r[0].invite_code),
        (N_("Invited by (member id)"), lambda r: r[0].invited_by or ""),
        (N_("Tags"), lambda r: _text("、".join(r[1]))),
        (N_("Charges"), lambda r: r[0].charge_count),
        (N_("Total kWh"), lambda r: wh_to_kwh_str(r[0].total_wh)),
        (N_("Total paid (¥)"), lambda r: forms.for_display(r[0].total_paid_fen)),
        (N_("Last charge"), lambda r: _time(r[0].last_charge_at, ctx.zone)),
        (N_("Wallet (¥)"), lambda r: forms.for_display(r[0].wallet_balance_fen)),
        (N_("Points"), lambda r: r[0].points_balance),
    ], exports.member_batches(ctx, flt))


@router.get("/vouchers.csv")
def vouchers_csv(request: Request, staff: StaffDep) -> Response:
    ctx = request.app.state.ctx
    template = request.query_params.get("template_id") or ""
    template_id = int(template) if template.isdigit() and len(template) < 19 else None
    now = ctx.clock.now()
    gettext = translations(staff.locale).gettext
    return _csv(request, staff.locale, f"vouchers-{template_id}" if template_id else "vouchers", [
        (N_("Voucher id"), lambda r: r.id),
        (N_("Template id"), lambda r: r.template_id),
        (N_("Voucher name"), lambda r: _text(r.name)),
        (N_("Member id"), lambda r: r.member_id),
        (N_("Phone"), lambda r: r.phone),
        (N_("Face value (¥)"), lambda r: forms.for_display(r.face_value_fen)),
        (N_("Deduction type"), lambda r: gettext(DEDUCTION.get(r.deduction_type, r.deduction_type))),
        (N_("Minimum spend (¥)"), lambda r: forms.for_display(r.min_spend_fen)),
        (N_("Status"), lambda r: gettext(VOUCHER_STATUS[effective_status(r, now)])),
        (N_("Source"), lambda r: gettext(SOURCE.get(r.source_kind, r.source_kind))),
        (N_("Campaign id"), lambda r: r.campaign_id or ""),
        (N_("Reason"), lambda r: _text(r.reason or "")),
        (N_("Issued by"), lambda r: _text(r.issued_by or "")),
        (N_("Issued at"), lambda r: _time(r.issued_at, ctx.zone)),
        (N_("Valid from"), lambda r: _time(r.valid_from, ctx.zone)),
        (N_("Valid until"), lambda r: _time(r.valid_until, ctx.zone)),
        (N_("Used on order"), lambda r: r.used_order_no or ""),
        (N_("Used at"), lambda r: _time(r.used_at, ctx.zone)),
        (N_("Revoked at"), lambda r: _time(r.revoked_at, ctx.zone)),
    ], exports.voucher_batches(ctx, template_id=template_id))


@router.get("/campaigns/{campaign_id}/recipients.csv")
def recipients_csv(request: Request, staff: StaffDep, campaign_id: IntId) -> Response:
    ctx = request.app.state.ctx
    try:
        lifecycle.get_campaign(ctx, campaign_id)
    except NotFound:
        return missing(request, staff, nav="campaigns")
    return _csv(request, staff.locale, f"campaign-{campaign_id}-recipients", [
        (N_("Package id"), lambda r: r.id),
        (N_("Member id"), lambda r: r.member_id),
        (N_("Phone"), lambda r: r.phone),
        (N_("Nickname"), lambda r: _text(r.nickname)),
        (N_("Given for"), lambda r: r.trigger),
        (N_("Reference"), lambda r: _text(r.ref)),
        (N_("Given at"), lambda r: _time(r.created_at, ctx.zone)),
        (N_("Vouchers in the package"), lambda r: r.voucher_count),
        (N_("Revoked at"), lambda r: _time(r.revoked_at, ctx.zone)),
    ], exports.recipient_batches(ctx, campaign_id))


@router.get("/orders.csv")
def orders_csv(request: Request, staff: StaffDep) -> Response:
    ctx = request.app.state.ctx
    query = request.query_params
    try:
        fields = forms.Fields()
        day_from = fields.take(forms.local_day, query.get("settled_from"), "settled_from")
        day_to = fields.take(forms.local_day, query.get("settled_to"), "settled_to")
        fields.check()
    except Invalid as exc:
        values = {name: query.get(name, "") for name in ("settled_from", "settled_to")}
        return page(request, staff, "admin/exports.html", status=422, nav="exports", values=values,
                    errors=forms.error_messages(exc, staff.locale))
    gettext = translations(staff.locale).gettext
    batches = exports.order_batches(ctx, settled_from=_day_start(day_from, ctx.zone),
                                    settled_to=_day_start(day_to and day_to + timedelta(days=1), ctx.zone))
    return _csv(request, staff.locale, "orders", [
        (N_("Order number"), lambda r: r.order_no),
        (N_("Member id"), lambda r: r.member_id),
        (N_("Phone"), lambda r: r.phone),
        (N_("Station id"), lambda r: r.station_id),
        (N_("Station name"), lambda r: _text(r.station_name)),
        (N_("Start time"), lambda r: _time(r.start_time, ctx.zone)),
        (N_("End time"), lambda r: _time(r.end_time, ctx.zone)),
        (N_("Energy (kWh)"), lambda r: wh_to_kwh_str(r.energy_wh)),
        (N_("Electricity fee (¥)"), lambda r: forms.for_display(r.elec_fee_fen)),
        (N_("Service fee (¥)"), lambda r: forms.for_display(r.service_fee_fen)),
        (N_("Total (¥)"), lambda r: forms.for_display(r.total_fen)),
        (N_("Voucher id"), lambda r: r.voucher_id or ""),
        (N_("Voucher deduction (¥)"), lambda r: forms.for_display(r.voucher_deduction_fen)),
        (N_("Points used"), lambda r: r.points_used),
        (N_("Points deduction (¥)"), lambda r: forms.for_display(r.points_deduction_fen)),
        (N_("Paid from wallet (¥)"), lambda r: forms.for_display(r.wallet_paid_fen)),
        (N_("Paid otherwise (¥)"), lambda r: forms.for_display(r.due_fen)),
        (N_("Points earned"), lambda r: r.points_earned),
        (N_("Status"), lambda r: gettext(ORDER_STATUS.get(r.status, r.status))),
        (N_("Refunded (¥)"), lambda r: forms.for_display(r.refunded_fen)),
        (N_("Settled at"), lambda r: _time(r.settled_at, ctx.zone)),
    ], batches)


Column = tuple[str, Callable[[object], object]]


def _csv(request: Request, locale: str, name: str, columns: list[Column], batches: Iterable[list]) -> Response:
    """A streamed CSV download: the header row, then one chunk per batch of rows."""
    gettext = translations(locale).gettext
    header = [gettext(title) for title, _cell in columns]
    cells = [cell for _title, cell in columns]

    def chunks() -> Iterator[bytes]:
        yield (BOM + _lines([header])).encode()
        for batch in batches:
            yield _lines([cell(row) for cell in cells] for row in batch).encode()

    today = request.app.state.ctx.clock.now().astimezone(request.app.state.ctx.zone).strftime("%Y%m%d")
    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}-{today}.csv"', "Cache-Control": "no-store"})


def _lines(rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _text(value: str) -> str:
    """Free text as a spreadsheet will show it, never run it: a leading formula character is quoted."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _time(value, zone) -> str:
    return local_time(value, zone, TIME)


def _day_start(day: date | None, zone):
    return start_of_local_day(day, zone) if day else None
