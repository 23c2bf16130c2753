"""Request and response bodies of the public API (see docs/api.md for the contract)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from evperks.domain.members import MOBILE_INPUT_PATTERN
from evperks.domain.units import MAX_FEN

Fen = Annotated[StrictInt, Field(ge=0, le=MAX_FEN)]
PositiveFen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN)]
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as bad input, on every engine alike


def text(min_length: int = 0, max_length: int = 100):
    """Free text, trimmed, without NUL."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_NUL)]


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=ID_PATTERN)]
Text100 = text()
Name = text(1, 100)
Reason = text(1, 500)
Tag = text(1, 50)
_EARLIEST, _LATEST = datetime(1970, 1, 2), datetime(2199, 12, 31)


def _within_range(value: datetime) -> datetime:
    """Far-off years would overflow converting between zones; no charging event lies outside this."""
    try:
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    except OverflowError:  # year 1 at +14:00 lies before the first representable UTC instant
        naive = datetime.min
    if not _EARLIEST <= naive <= _LATEST:
        raise ValueError("must lie between 1970 and 2199")
    return value


Instant = Annotated[datetime, AfterValidator(_within_range)]
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


class TemplateIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "10元券", "face_value_fen": 1000, "deduction_type": "total", "validity": {"type": "days", "days": 7},
    }]})

    name: Name
    face_value_fen: PositiveFen
    deduction_type: DeductionTypeIn
    validity: ValidityIn
    station_ids: StationIds = []
    min_spend_fen: Fen = 0
    enabled: StrictBool = True


class TemplatePatch(Body):
    """Only the fields sent change; ``null`` is not a value for any of them."""

    name: Name | None = None
    face_value_fen: PositiveFen | None = None
    deduction_type: DeductionTypeIn | None = None
    validity: ValidityIn | None = None
    station_ids: StationIds | None = None
    min_spend_fen: Fen | None = None
    enabled: StrictBool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> TemplatePatch:
        nulls = [f for f in self.model_fields_set if getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} may not be null")
        return self


class TemplateOut(BaseModel):
    id: int
    name: str
    face_value_fen: int
    deduction_type: DeductionTypeIn
    station_ids: list[str]
    validity: dict
    min_spend_fen: int
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
    face_value_fen: int
    deduction_type: DeductionTypeIn
    station_ids: list[str]
    min_spend_fen: int
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

    template_id: Annotated[StrictInt, Field(ge=1)]
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
    voucher_id: Annotated[StrictInt, Field(ge=1)] | Literal["auto"] | None = Field(
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


# --- sandbox ---------------------------------------------------------------------------------------

class ClockIn(Body):
    now: Instant


class ClockOut(BaseModel):
    now: datetime
