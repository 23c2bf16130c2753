"""Service-level factories for integration tests: real data made through the real services."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import members, stations, vouchers
from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.services.settlement import AUTO, ChargeOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = count(1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def station(ctx: Context, station_id: str = "S1") -> str:
    stations.upsert_station(ctx, station_id=station_id, name=f"站 {station_id}", city="深圳")
    return station_id


def member(ctx: Context, **fields) -> dict:
    return members.register_member(ctx, phone=f"139{next(_numbers):08d}", **fields)


def template(ctx: Context, face_value_fen: int = 1000, days: int = 30, **fields) -> dict:
    """A template; its name (default "10元券") gets a number ("10元券 2") when a template already has it:
    template names are unique."""
    name = fields.pop("name", f"{face_value_fen // 100}元券")
    spec = vouchers.TemplateSpec(
        name=name,
        face_value_fen=face_value_fen,
        deduction_type=fields.pop("deduction_type", DeductionType.TOTAL),
        validity=fields.pop("validity", DaysValidity(days)),
        **fields,
    )
    for n in count(2):
        try:
            return vouchers.create_template(ctx, spec)
        except Invalid as exc:
            if exc.errors[0].code != "voucher.name_taken":
                raise
            spec = replace(spec, name=f"{name} {n}")
    raise AssertionError("unreachable")


def give(ctx: Context, member_id: str, template_id: int, quantity: int = 1) -> list[int]:
    issued = vouchers.issue_manual(ctx, member_id=member_id, template_id=template_id, quantity=quantity,
                                   reason="test", issued_by="test")
    return [v["id"] for v in issued]


def charge_order(member_id: str, *, order_no: str | None = None, voucher=AUTO, **fields) -> ChargeOrder:
    values = {
        "member_id": member_id,
        "station_id": "S1",
        "start_time": local(2026, 3, 12, 10),
        "end_time": local(2026, 3, 12, 11),
        "energy_wh": 20_000,
        "elec_fee_fen": 2000,
        "service_fee_fen": 800,
        **fields,
    }
    return ChargeOrder(order_no=order_no or f"ORD-{next(_numbers)}", voucher=voucher, **values)
