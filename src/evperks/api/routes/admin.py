"""Operator administration (role admin): voucher templates, manual vouchers, member search."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from evperks.api import schemas
from evperks.api.deps import CtxDep, require_admin
from evperks.api.params import Cursor, IntId, Limit, PathId
from evperks.api.responses import json_response
from evperks.api.routing import ApiRoute
from evperks.domain.timecal import as_utc
from evperks.domain.units import InvalidEnergy, kwh_to_wh
from evperks.domain.vouchers import DaysValidity, DeductionType, Validity, VoucherKind, WindowValidity
from evperks.services import members, vouchers
from evperks.services.errors import Invalid
from evperks.services.member_search import MemberFilter

router = APIRouter(prefix="/api/v1/admin", dependencies=[Depends(require_admin)], tags=["admin"], route_class=ApiRoute)


@router.post("/voucher-templates", status_code=201, response_model=schemas.TemplateOut)
def create_template(body: schemas.TemplateIn, ctx: CtxDep) -> Response:
    """新建代金券: every field marked * in the console is required here."""
    spec = vouchers.TemplateSpec(
        name=body.name,
        face_value_fen=body.face_value_fen,
        deduction_type=DeductionType(body.deduction_type),
        validity=_validity(body.validity, ctx),
        station_ids=tuple(body.station_ids),
        min_spend_fen=body.min_spend_fen,
        enabled=body.enabled,
        kind=VoucherKind(body.kind),
        percent_off=body.percent_off,
        max_deduction_fen=body.max_deduction_fen,
        usable_hours=_hours(body.usable_hours),
        usable_weekdays=tuple(body.usable_weekdays),
    )
    return json_response(vouchers.create_template(ctx, spec, actor="api"), zone=ctx.zone, status=201)


@router.get("/voucher-templates", response_model=schemas.TemplatePage)
def list_templates(ctx: CtxDep, enabled: bool | None = None, limit: Limit = 50, cursor: Cursor = None) -> Response:
    return json_response(vouchers.list_templates(ctx, enabled=enabled, limit=limit, cursor=cursor), zone=ctx.zone)


@router.get("/voucher-templates/{template_id}", response_model=schemas.TemplateOut)
def get_template(template_id: IntId, ctx: CtxDep) -> Response:
    return json_response(vouchers.get_template(ctx, template_id), zone=ctx.zone)


@router.patch("/voucher-templates/{template_id}", response_model=schemas.TemplateOut)
def patch_template(template_id: IntId, body: schemas.TemplatePatch, ctx: CtxDep) -> Response:
    """Change some fields, or enable/disable. Vouchers already issued keep what they promised."""
    changes = {f: getattr(body, f) for f in body.model_fields_set}
    if "deduction_type" in changes:
        changes["deduction_type"] = DeductionType(changes["deduction_type"])
    if "validity" in changes:
        changes["validity"] = _validity(changes["validity"], ctx)
    if "station_ids" in changes:
        changes["station_ids"] = tuple(changes["station_ids"])
    if "kind" in changes:
        changes["kind"] = VoucherKind(changes["kind"])
    if "usable_hours" in changes:
        changes["usable_hours"] = _hours(changes["usable_hours"])
    if "usable_weekdays" in changes:
        changes["usable_weekdays"] = tuple(changes["usable_weekdays"])
    return json_response(vouchers.update_template(ctx, template_id, changes, actor="api"), zone=ctx.zone)


@router.post("/members/{member_id}/vouchers", status_code=201, response_model=list[schemas.VoucherOut])
def issue_vouchers(
    member_id: PathId, body: schemas.IssueIn, ctx: CtxDep
) -> Response:
    """客服补发: give a member vouchers of a template, with a reason."""
    issued = vouchers.issue_manual(
        ctx, member_id=member_id, template_id=body.template_id, quantity=body.quantity,
        reason=body.reason, issued_by="api",
    )
    return json_response(issued, zone=ctx.zone, status=201)


@router.post("/vouchers/{voucher_id}/revoke", response_model=schemas.VoucherOut)
def revoke_voucher(voucher_id: IntId, body: schemas.RevokeIn, ctx: CtxDep) -> Response:
    """Revoke an unused voucher."""
    return json_response(vouchers.revoke_voucher(ctx, voucher_id=voucher_id, reason=body.reason, actor="api"), zone=ctx.zone)


@router.get("/members", response_model=schemas.MemberPage)
def search_members(
    ctx: CtxDep,
    phone: Annotated[str | None, Query(max_length=11, pattern=r"^\d+$")] = None,
    registered_from: schemas.Instant | None = None,
    registered_to: schemas.Instant | None = None,
    tag: Annotated[str | None, Query(max_length=50, pattern=schemas.NO_NUL)] = None,
    min_charge_count: Annotated[int | None, Query(ge=0, le=10**9)] = None,
    min_total_kwh: Annotated[Decimal | None, Query(ge=0)] = None,
    min_total_paid_fen: Annotated[int | None, Query(ge=0, le=schemas.MAX_FEN)] = None,
    invited: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """会员属性查找: members matching every filter given, newest registration first."""
    flt = member_filter(
        ctx, phone=phone, registered_from=registered_from, registered_to=registered_to, tag=tag,
        min_charge_count=min_charge_count, min_total_kwh=min_total_kwh,
        min_total_paid_fen=min_total_paid_fen, invited=invited,
    )
    return json_response(members.search_members(ctx, flt, limit=limit, cursor=cursor), zone=ctx.zone)


def member_filter(ctx, *, registered_from, registered_to, min_total_kwh, **rest) -> MemberFilter:
    """The search filter from API values: instants read in the operator's zone, kWh made exact."""
    try:
        min_total_wh = kwh_to_wh(min_total_kwh) if min_total_kwh is not None else None
    except InvalidEnergy as exc:
        raise Invalid(str(exc), field="min_total_kwh", code=exc.code) from exc
    return MemberFilter(
        registered_from=as_utc(registered_from, ctx.zone) if registered_from else None,
        registered_to=as_utc(registered_to, ctx.zone) if registered_to else None,
        min_total_wh=min_total_wh,
        **rest,
    )


def _validity(body: schemas.DaysValidityIn | schemas.WindowValidityIn, ctx) -> Validity:
    if isinstance(body, schemas.DaysValidityIn):
        return DaysValidity(days=body.days)
    return WindowValidity(start=as_utc(body.start, ctx.zone), end=as_utc(body.end, ctx.zone))


def _hours(ranges: list[schemas.UsableHoursIn]) -> tuple[dict, ...]:
    return tuple({"from": r.from_, "to": r.to} for r in ranges)
