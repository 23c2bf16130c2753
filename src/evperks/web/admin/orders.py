"""充电订单: a settled order's page — its breakdown, status, refunded amount and refunds — and the refund
form (退款) for staff who may change things (operator, admin); viewers see the page without the form."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from evperks.api.errors import status_of
from evperks.api.params import PathId
from evperks.services import members
from evperks.services.errors import NotFound, ServiceError
from evperks.services.settlement import get_order, refunds
from evperks.web import forms
from evperks.web.admin.auth import ChangerDep, Staff, StaffDep, page
from evperks.web.admin.replies import done_message, missing, redirect

router = APIRouter(prefix="/admin/orders", include_in_schema=False)

DONE = {"refunded": "The refund is recorded."}


@router.get("/{order_no}")
def detail(request: Request, order_no: PathId, staff: StaffDep) -> Response:
    return order_page(request, staff, order_no)


def order_page(request: Request, staff: Staff, order_no: str, *, status: int = 200, values: dict | None = None,
               errors: dict | None = None, problem: str | None = None) -> Response:
    ctx = request.app.state.ctx
    try:
        order = get_order(ctx, order_no)
        member = members.get_member(ctx, order["member_id"])
    except NotFound:
        return missing(request, staff, nav="members")
    # A fresh refund_no per form: submitting the same form twice refunds once.
    values = values or {"refund_no": "C" + secrets.token_hex(8).upper()}
    return page(request, staff, "admin/orders/detail.html", status=status, nav="members", order=order, member=member,
                values=values, errors=errors or {}, problem=problem, flash=done_message(request, staff.locale, DONE))


@router.post("/{order_no}/refunds")
async def refund(request: Request, order_no: PathId, staff: ChangerDep) -> Response:
    return await run_in_threadpool(_refund, request, order_no, staff, await request.form())


def _refund(request: Request, order_no: str, staff: Staff, form: FormData) -> Response:
    """退款: a blank amount refunds all that is left; the reason is required (it goes to the audit log)."""
    try:
        fields = forms.Fields()
        refund_no = fields.take(forms.text, form.get("refund_no"), "refund_no", required=True, max_length=64)
        amount = fields.take(forms.yuan_to_fen, form.get("amount"), "amount")
        reason = fields.take(forms.text, form.get("reason"), "reason", required=True, max_length=500)
        fields.check()
        refunds.refund(request.app.state.ctx, order_no=order_no, refund_no=refund_no, amount_fen=amount, reason=reason,
                       created_by=staff.username)
    except NotFound:
        return missing(request, staff, nav="members")
    except ServiceError as exc:
        errors = forms.error_messages(exc, staff.locale, {"amount_fen": "amount"})
        problem = errors.pop("", None) or errors.pop("order_no", None) or errors.pop("refund_no", None)
        values = {k: v for k, v in form.items() if k != "csrf_token"}
        return order_page(request, staff, order_no, status=status_of(exc), values=values, errors=errors, problem=problem)
    return redirect(f"/admin/orders/{quote(order_no, safe='')}?done=refunded")
