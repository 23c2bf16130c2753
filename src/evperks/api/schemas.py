"""Request and response bodies of the public API (see docs/api.md for the contract)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from evperks.domain.members import MOBILE_INPUT_PATTERN
from evperks.domain.timecal import supported
from evperks.domain.units import MAX_FEN

Fen = Annotated[StrictInt, Field(ge=0, le=MAX_FEN)]
RowId = Annotated[StrictInt, Field(ge=1, le=2**62)]  # a template's or voucher's id: within a signed bigint
PositiveFen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN)]
# Ids of members, stations and orders, as charging platforms send them (OCPI EVSE ids: BE*BEC*E041503003): the
# printable characters a URI path segment carries unencoded (RFC 3986 pchar), minus those that read
# differently elsewhere: "+" (a space to form and query decoders), "&" and "'" (field and quote delimiters).
# "." and ".." alone are refused: clients resolve them as dot segments, so such an id has no URL.
ID_CHARACTERS = "A-Z a-z 0-9 - . _ ~ * : @ ! $ ( ) , ; ="
_ID_CHAR = r"[A-Za-z0-9._~*:@!$(),;=-]"
ID_PATTERN = rf"^(?:{_ID_CHAR}*[A-Za-z0-9_~*:@!$(),;=-]{_ID_CHAR}*|\.{{3,}})$"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as bad input, on every engine alike


def text(min_length: int = 0, max_length: int = 100):
    """Free text, trimmed, without NUL."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_NUL)]


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=ID_PATTERN)]
Text100 = text()
Name = text(1, 100)
Reason = text(1, 500)
Text500 = text(0, 500)
Tag = text(1, 50)


def _within_range(value: datetime) -> datetime:
    if not supported(value):
        raise ValueError("must lie between 1970 and 2199")
    return value


# ISO 8601 / RFC 3339 text only: a date, or a date and time with an optional offset. Pydantic alone would
# also take a number, or a string of digits, as Unix seconds or milliseconds (253402300800 became 1978).
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?", re.ASCII)


def _iso_text(value: object) -> object:
    if isinstance(value, datetime):  # already parsed (a default, or a call from Python)
        return value
    if not isinstance(value, str) or not _ISO_8601.fullmatch(value):
        raise ValueError("must be an ISO 8601 date-time string such as 2026-03-12T10:00:00+08:00")
    return value


Instant = Annotated[
    datetime, BeforeValidator(_iso_text), AfterValidator(_within_range),
    Field(description="ISO 8601 (e.g. 2026-03-12T10:00:00+08:00); no offset: the operator's zone"),
]
EnergyKwh = Annotated[float | str, Field(description="kWh, a number or decimal string with at most 3 decimals")]


class Body(BaseModel):
    """Unknown fields are refused: a misspelt ``use_wallet`` must not silently change a bill."""

    model_config = ConfigDict(extra="forbid")


# --- stations and members -------------------------------------------------------------------------

class StationIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "南山站", "city": "深圳"}]})

    name: Name
    city: Text100 = ""


class StationOut(BaseModel):
    id: str
    name: str
    city: str


class StationPage(BaseModel):
    items: list[StationOut]
    next_cursor: str | None


class MemberIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "M1", "phone": "13800138000", "nickname": "小王"}]})

    id: Id | None = None
    # The pattern documents what services.members accepts; the service refuses the rest with its own message.
    phone: Annotated[text(0, 20), Field(json_schema_extra={"pattern": MOBILE_INPUT_PATTERN})]
    nickname: Text100 = ""
    channel: text(0, 50) = ""
    invite_code: text(1, 16) | None = None
    registered_at: Instant | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] = []


class MemberOut(BaseModel):
    id: str
    phone: str
    nickname: str
    channel: str
    registered_at: datetime
    invite_code: str
    invited_by: str | None
    tags: list[str]
    charge_count: int
    total_energy_kwh: str
    total_paid_fen: int
    last_charge_at: datetime | None
    wallet_balance_fen: int
    points_balance: int
    wallet_available_fen: int = Field(description="the balance less what open charge sessions hold")
    points_available: int = Field(description="the points less what open charge sessions hold (never below 0)")
    wechat_openid: str | None = Field(description="the member's openid under EVPERKS_WECHAT_APPID (JSAPI payments)")


class MemberPatch(Body):
    """Only the fields sent change; ``tags`` replaces the member's tags; ``wechat_openid: null`` clears it."""

    phone: text(1, 20) | None = None
    nickname: Text100 | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None
    wechat_openid: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")] | None = None

    @field_validator("phone", "nickname", "tags")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None


# --- vouchers --------------------------------------------------------------------------------------

class DaysValidityIn(Body):
    type: Literal["days"]
    days: Annotated[StrictInt, Field(ge=1, le=3650)]


class WindowValidityIn(Body):
    type: Literal["window"]
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> WindowValidityIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


ValidityIn = Annotated[DaysValidityIn | WindowValidityIn, Field(discriminator="type")]
DeductionTypeIn = Literal["total", "service_fee"]
StationIds = Annotated[list[Id], Field(max_length=1000)]


VoucherKindIn = Literal["amount", "percent"]
Weekday = Annotated[StrictInt, Field(ge=1, le=7)]


class UsableHoursIn(Body):
    """A local time range ``[from, to)``, "HH:MM"; ``to`` before ``from`` wraps midnight (23:00–07:00)."""

    from_: Annotated[StrictStr, Field(alias="from", max_length=5)]
    to: Annotated[StrictStr, Field(max_length=5)]


UsableHours = Annotated[list[UsableHoursIn], Field(max_length=10)]
Weekdays = Annotated[list[Weekday], Field(max_length=7)]


class TemplateIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "10元券", "face_value_fen": 1000, "deduction_type": "total", "validity": {"type": "days", "days": 7},
    }]})

    name: Name
    kind: VoucherKindIn = "amount"
    face_value_fen: PositiveFen | None = Field(default=None, description="required for amount, absent for percent")
    percent_off: StrictInt | None = Field(default=None, description="percent voucher: 1–99 (20 = 8折)")
    max_deduction_fen: PositiveFen | None = Field(default=None, description="percent voucher: the optional cap")
    deduction_type: DeductionTypeIn
    validity: ValidityIn
    station_ids: StationIds = []
    min_spend_fen: Fen = 0
    enabled: StrictBool = True
    usable_hours: UsableHours = []
    usable_weekdays: Weekdays = []


class TemplatePatch(Body):
    """Only the fields sent change; ``null`` is not a value for any of them."""

    name: Name | None = None
    kind: VoucherKindIn | None = None
    face_value_fen: PositiveFen | None = None
    percent_off: StrictInt | None = None
    max_deduction_fen: PositiveFen | None = None
    deduction_type: DeductionTypeIn | None = None
    validity: ValidityIn | None = None
    station_ids: StationIds | None = None
    min_spend_fen: Fen | None = None
    enabled: StrictBool | None = None
    usable_hours: UsableHours | None = None
    usable_weekdays: Weekdays | None = None

    # What a change of kind clears: null removes it (the face value of a template turned percent, …).
    NULLABLE: ClassVar[tuple[str, ...]] = ("face_value_fen", "percent_off", "max_deduction_fen")

    @model_validator(mode="after")
    def _no_nulls(self) -> TemplatePatch:
        nulls = [f for f in self.model_fields_set if getattr(self, f) is None and f not in self.NULLABLE]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} may not be null")
        return self


class UsableHoursOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str


class TemplateOut(BaseModel):
    id: int
    name: str
    kind: VoucherKindIn
    face_value_fen: int | None
    percent_off: int | None
    max_deduction_fen: int | None
    deduction_type: DeductionTypeIn
    station_ids: list[str]
    validity: dict
    min_spend_fen: int
    usable_hours: list[UsableHoursOut]
    usable_weekdays: list[int]
    enabled: bool
    issued_count: int
    used_count: int
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None


class VoucherSource(BaseModel):
    kind: str
    campaign_id: int | None = None
    reason: str | None = None


class VoucherOut(BaseModel):
    id: int
    template_id: int
    name: str
    kind: VoucherKindIn
    face_value_fen: int | None
    percent_off: int | None
    max_deduction_fen: int | None
    deduction_type: DeductionTypeIn
    station_ids: list[str]
    min_spend_fen: int
    usable_hours: list[UsableHoursOut]
    usable_weekdays: list[int]
    valid_from: datetime
    valid_until: datetime
    status: Literal["available", "used", "expired", "revoked"]
    source: VoucherSource
    issued_at: datetime
    used_order_no: str | None


class VoucherPage(BaseModel):
    items: list[VoucherOut]
    next_cursor: str | None


class IssueIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"template_id": 1, "quantity": 1, "reason": "客服补发"}]})

    template_id: RowId
    quantity: Annotated[StrictInt, Field(ge=1, le=100)] = 1
    reason: Reason


class RevokeIn(Body):
    reason: Reason


# --- settlement ------------------------------------------------------------------------------------

_ORDER_EXAMPLE = {
    "member_id": "M1", "station_id": "S1", "start_time": "2026-03-12T10:00:00+08:00",
    "end_time": "2026-03-12T11:00:00+08:00", "energy_kwh": "20.5", "elec_fee_fen": 2000, "service_fee_fen": 800,
}


class QuoteIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [_ORDER_EXAMPLE]})

    member_id: Id
    station_id: Id
    start_time: Instant
    end_time: Instant
    energy_kwh: EnergyKwh
    elec_fee_fen: Fen
    service_fee_fen: Fen
    voucher_id: RowId | Literal["auto"] | None = Field(
        default="auto", description='a voucher id, "auto" (default) for the best one, or null for none'
    )
    use_points: StrictBool = False
    use_wallet: StrictBool = False


class ChargeOrderIn(QuoteIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{"order_no": "ORD-1", **_ORDER_EXAMPLE}]})

    order_no: Id


class Reward(BaseModel):
    campaign_id: int
    voucher_ids: list[int]


class SettlementOut(BaseModel):
    order_no: str | None
    member_id: str
    total_fen: int
    voucher_id: int | None
    voucher_deduction_fen: int
    points_used: int
    points_deduction_fen: int
    wallet_paid_fen: int
    due_fen: int
    points_earned: int
    rewards: list[Reward]
    settled_at: datetime | None


class OrderRefundIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refund_no": "RF-1", "amount_fen": 500, "reason": "充电桩故障"}]})

    refund_no: Id
    amount_fen: Fen | None = Field(default=None, description="omitted: all that is still refundable")
    reason: Text500 | None = None


class OrderRefundOut(BaseModel):
    refund_no: str
    order_no: str
    amount_fen: int
    external_fen: int = Field(description="returned by the platform through its own payment channel (due_fen first)")
    wallet_fen: int = Field(description="credited back to the member's wallet")
    points_returned: int = Field(description="redeemed points given back (a full refund only)")
    voucher_returned: bool = Field(description="the order's voucher is usable again (a full refund, while valid)")
    points_clawed_back: int = Field(description="earned points taken back (what the member had, at most)")
    rewards_revoked: list[Reward]
    rewards_kept: list[Reward] = Field(description="rewards of the order kept because a voucher of theirs was used")
    order_status: Literal["settled", "partially_refunded", "refunded"]


class OrderRefundRecordOut(OrderRefundOut):
    reason: str | None
    created_by: str | None
    created_at: datetime


class ChargeOrderOut(SettlementOut):
    status: Literal["settled", "partially_refunded", "refunded"]
    refunded_fen: int
    refunds: list[OrderRefundRecordOut] = Field(description="the order's refunds, oldest first")


# --- sandbox ---------------------------------------------------------------------------------------

class ClockIn(Body):
    now: Instant


class ClockOut(BaseModel):
    now: datetime


class JobRun(BaseModel):
    id: int
    kind: str
    task_key: str
    run_at: datetime
    status: str
    result: dict | None = Field(description="what the job reported (its kind decides the keys)")
    error: str | None


class TickOut(BaseModel):
    now: datetime
    ran: list[JobRun] = Field(description="the job runs due at the sandbox now, in run_at order")
