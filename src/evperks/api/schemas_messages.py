"""Response bodies of the member's campaign progress and message centre."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from evperks.api.schemas import Body

MessageId = Annotated[StrictInt, Field(ge=1, le=2**62)]


class TierProgressOut(BaseModel):
    threshold: str | int = Field(description="kWh decimal string (metric energy) or fen (metric amount)")
    reached: bool


class CampaignProgressOut(BaseModel):
    campaign_id: int
    name: str | None
    metric: str = Field(description="energy (kWh) or amount (fen actually paid)")
    accumulated: str | int = Field(description="kWh decimal string for energy, fen for amount")
    next_threshold: str | int | None = Field(description="null once every tier is reached")
    remaining: str | int | None
    days_left: int = Field(description="local calendar days, today included, until end_at; 0 once ended")
    reached_tiers: int
    tiers_total: int
    tiers: list[TierProgressOut]
    rules_text: str | None
    end_at: datetime


class CampaignProgressList(BaseModel):
    items: list[CampaignProgressOut]


class MessageOut(BaseModel):
    id: int
    type: str = Field(description="voucher_received | campaign_progress | campaign_countdown | points_expiring | "
                                  "recharge_credited | wallet_paid | order_refunded")
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None
    unread_count: int = Field(description="the member's unread messages, whatever the page shows")


class MarkReadIn(Body):
    """Exactly one of: ``message_ids`` (those messages), ``up_to_id`` (every message with an id up to it:
    the newest one the member has seen) or ``all: true``."""

    message_ids: Annotated[list[MessageId], Field(min_length=1, max_length=1000)] | None = None
    up_to_id: MessageId | None = None
    all: StrictBool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MarkReadIn:
        given = [f for f in ("message_ids", "up_to_id", "all") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of message_ids, up_to_id or all")
        if self.all is False:
            raise ValueError("all must be true when given")
        return self


class MarkReadOut(BaseModel):
    marked: int = Field(description="messages that were unread and are now read")
    unread_count: int
