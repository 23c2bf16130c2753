"""Bodies of the points mall API (积分商城). The item's rules (a price above 0, a stock of 0 or more, a
limit of 1 or more or none, the reward's templates) are the service's, so every entry point refuses the
same things with the same codes; the schema only types the values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from evperks.api.schemas import Body, Id, Instant, Name, RowId
from evperks.api.schemas_campaigns import RewardItem
from evperks.domain.mall import MAX_STOCK
from evperks.domain.points import MAX_POINTS

Points = Annotated[StrictInt, Field(ge=-MAX_POINTS, le=MAX_POINTS, description="points; must be greater than 0")]
Stock = Annotated[StrictInt, Field(ge=-MAX_STOCK, le=MAX_STOCK, description="how many can be exchanged in all (≥ 0)")]
Limit = Annotated[StrictInt, Field(ge=-MAX_STOCK, le=MAX_STOCK,
                                   description="exchanges per member (≥ 1); null: no limit")]
Reward = Annotated[list[RewardItem], Field(max_length=20, description="the vouchers one exchange gives")]

_ITEM_EXAMPLE = {"name": "10元充电券", "reward": [{"template_id": 1, "quantity": 1}], "points_price": 100, "stock": 50,
                 "per_member_limit": 1, "start_at": None, "end_at": None, "enabled": True}


class MallItemIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_EXAMPLE]})

    name: Name
    reward: Reward
    points_price: Points
    stock: Stock
    per_member_limit: Limit | None = None
    start_at: Instant | None = Field(default=None, description="null: open from now")
    end_at: Instant | None = Field(default=None, description="null: open until disabled")
    enabled: StrictBool = True


class MallItemPatch(Body):
    """Only the fields sent change; ``null`` clears per_member_limit, start_at and end_at, and is no value
    for the others."""

    name: Name | None = None
    reward: Reward | None = None
    points_price: Points | None = None
    stock: Stock | None = None
    per_member_limit: Limit | None = None
    start_at: Instant | None = None
    end_at: Instant | None = None
    enabled: StrictBool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> MallItemPatch:
        nulls = [f for f in self.model_fields_set
                 if getattr(self, f) is None and f not in ("per_member_limit", "start_at", "end_at")]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} may not be null")
        return self


class RewardLineOut(BaseModel):
    template_id: int
    quantity: int


class MallItemOut(BaseModel):
    id: int
    name: str
    reward: list[RewardLineOut]
    points_price: int
    stock: int
    stock_left: int
    per_member_limit: int | None
    start_at: datetime | None
    end_at: datetime | None
    enabled: bool
    exchanges: int = Field(description="how many were exchanged (stock − stock_left)")
    created_at: datetime
    updated_at: datetime


class MallItemPage(BaseModel):
    items: list[MallItemOut]
    next_cursor: str | None


class OfferVoucherOut(BaseModel):
    template_id: int
    quantity: int
    name: str
    face_value_fen: int | None = Field(description="null for a percent voucher")
    kind: str = Field(description="amount | percent")
    percent_off: int | None
    max_deduction_fen: int | None
    deduction_type: str = Field(description="total | service_fee")


class MallOfferOut(BaseModel):
    id: int
    name: str
    vouchers: list[OfferVoucherOut]
    points_price: int
    stock_left: int
    per_member_limit: int | None
    start_at: datetime | None
    end_at: datetime | None
    member_exchanged: int | None = Field(description="with member_id: how often that member exchanged it")


class MallOfferPage(BaseModel):
    items: list[MallOfferOut]
    next_cursor: str | None


class ExchangeIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"exchange_no": "EX-1", "item_id": 1}]})

    exchange_no: Id = Field(description="the idempotency key: the same exchange_no again returns the first answer")
    item_id: RowId


class ExchangeOut(BaseModel):
    exchange_no: str
    item_id: int
    points_spent: int
    voucher_ids: list[int]
