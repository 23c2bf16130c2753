"""What the voucher use cases return: templates and vouchers as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from evperks.services.results import Result, result


@result
class DaysValidityOut(Result):
    """Valid for ``days`` local days from issue."""

    type: Literal["days"]
    days: int


@result
class WindowValidityOut(Result):
    """Valid in the fixed window [start, end)."""

    type: Literal["window"]
    start: datetime
    end: datetime


@result
class VoucherTemplate(Result):
    id: int
    name: str
    face_value_fen: int | None  # None for a percent voucher
    deduction_type: str
    station_ids: list[str]
    validity: DaysValidityOut | WindowValidityOut
    min_spend_fen: int
    kind: str  # amount (立减券) or percent (折扣券)
    percent_off: int | None
    max_deduction_fen: int | None
    usable_hours: list[dict]  # [{"from": "HH:MM", "to": "HH:MM"}] local; [] any hour
    usable_weekdays: list[int]  # ISO 1–7; [] any day
    enabled: bool
    issued_count: int
    used_count: int
    created_at: datetime
    updated_at: datetime


@result
class Voucher(Result):
    id: int
    template_id: int
    name: str
    face_value_fen: int | None  # None for a percent voucher
    deduction_type: str
    station_ids: list[str]
    min_spend_fen: int
    kind: str  # amount (立减券) or percent (折扣券)
    percent_off: int | None
    max_deduction_fen: int | None
    usable_hours: list[dict]  # [{"from": "HH:MM", "to": "HH:MM"}] local; [] any hour
    usable_weekdays: list[int]  # ISO 1–7; [] any day
    valid_from: datetime
    valid_until: datetime
    status: str  # the effective status: an available voucher past its validity reads as expired
    source: dict[str, Any]  # {"kind"} and, only when known, "campaign_id" and "reason"
    issued_at: datetime
    used_order_no: str | None
