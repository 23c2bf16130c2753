"""Request and response bodies of the points API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from evperks.api.schemas import Body, Instant, Reason, StationIds
from evperks.domain.points import MAX_POINTS, MAX_RATE


def _four_decimals(value: Decimal) -> Decimal:
    """pydantic's decimal_places lets 1E-9999999 through (it would be stored as ten million digits)."""
    if value != value.quantize(Decimal("0.0001")):
        raise ValueError("has at most 4 decimals")
    return value


Rate = Annotated[
    Decimal,
    Field(ge=0, le=MAX_RATE, max_digits=12, decimal_places=4, allow_inf_nan=False,
          description="points per unit, a number or decimal string with at most 4 decimals"),
    AfterValidator(_four_decimals),
]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_POINTS)]


class PointsAdjustIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"points": 100, "reason": "客服补偿"}]})

    points: Annotated[StrictInt, Field(ge=-MAX_POINTS, le=MAX_POINTS, description="+ grants, − deducts")]
    reason: Reason
    granted_at: Instant | None = Field(default=None, description="a past grant time, to import history")

    @model_validator(mode="after")
    def _not_zero(self) -> PointsAdjustIn:
        if self.points == 0:
            raise ValueError("points must not be zero")
        return self


class EarningIn(Body):
    per_yuan_paid: Rate = Decimal(0)
    per_kwh: Rate = Decimal(0)


class RedemptionIn(Body):
    enabled: StrictBool = False
    points_per_yuan: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 100
    base: Literal["total", "service_fee"] = "total"
    station_ids: StationIds = []
    min_points: Count = 0
    max_points: Annotated[StrictInt, Field(ge=1, le=MAX_POINTS)] | None = None
    max_share_percent: Annotated[StrictInt, Field(ge=1, le=100)] = 100
    combine_with_voucher: StrictBool = True


class ExpiryIn(Body):
    """{"rule": "never"} | {"rule": "yearly", years, month, day} | {"rule": "monthly", months, day} |
    {"rule": "per_grant", years}."""

    rule: Literal["never", "yearly", "monthly", "per_grant"]
    years: Annotated[StrictInt, Field(ge=1, le=100)] | None = None
    months: Annotated[StrictInt, Field(ge=1, le=1200)] | None = None
    month: Annotated[StrictInt, Field(ge=1, le=12)] | None = None
    day: Annotated[StrictInt, Field(ge=1, le=31)] | None = None


class PointsSettingsIn(Body):
    """Each section given replaces that section (its omitted fields take their defaults); an omitted
    section stays as it is."""

    earning: EarningIn | None = None
    redemption: RedemptionIn | None = None
    expiry: ExpiryIn | None = None
    reminder_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None


class EarningOut(BaseModel):
    per_yuan_paid: int | float = Field(description="points per yuan paid (a whole number as an integer)")
    per_kwh: int | float = Field(description="points per kWh charged")


class RedemptionOut(BaseModel):
    enabled: bool
    points_per_yuan: int
    base: Literal["total", "service_fee"]
    station_ids: list[str]
    min_points: int
    max_points: int | None
    max_share_percent: int
    combine_with_voucher: bool


class PointsSettingsOut(BaseModel):
    earning: EarningOut
    redemption: RedemptionOut
    expiry: dict
    pending_expiry: dict | None
    pending_effective_at: datetime | None
    reminder_days: int


class LedgerItem(BaseModel):
    id: int
    points: int
    balance_after: int
    kind: str
    reason: str | None
    ref: str | None
    created_at: datetime
    expires_at: datetime | None


class LedgerPage(BaseModel):
    items: list[LedgerItem]
    next_cursor: str | None


class AdjustOut(BaseModel):
    member_id: str
    balance: int
    entries: list[LedgerItem]


class LotOut(BaseModel):
    id: int
    points: int
    remaining: int
    granted_at: datetime
    expires_at: datetime | None


class Expiring(BaseModel):
    expires_at: datetime
    points: int


class MemberPointsOut(BaseModel):
    member_id: str
    balance: int
    lots: list[LotOut]
    expiring_soon: list[Expiring]
