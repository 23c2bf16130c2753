"""Response bodies of the member's campaign progress and message centre."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
                                  "recharge_credited")
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None
