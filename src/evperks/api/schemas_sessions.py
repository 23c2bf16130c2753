"""Request and response bodies of charge sessions (hold at plug-in, settle at stop)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from evperks.api.schemas import Body, EnergyKwh, Fen, Id, Instant, RowId, SettlementOut

_SESSION_EXAMPLE = {"session_id": "CS-1", "member_id": "M1", "station_id": "S1", "started_at": "2026-03-12T10:00:00+08:00",
                    "use_wallet": True}


class SessionIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [_SESSION_EXAMPLE]})

    session_id: Id
    member_id: Id
    station_id: Id
    started_at: Instant | None = Field(default=None, description="when charging started; omitted: now")
    voucher_id: RowId | Literal["auto"] | None = Field(
        default="auto", description='a voucher id to hold, "auto" (default: the best one not held elsewhere, chosen '
                                    'at settlement) or null for none')
    use_points: StrictBool = False
    use_wallet: StrictBool = False
    wallet_hold_fen: Fen | None = Field(
        default=None, description="wallet money to hold (with use_wallet); omitted: the whole available balance")


class SessionOut(BaseModel):
    session_id: str
    member_id: str
    station_id: str
    status: Literal["open", "settled", "cancelled"]
    started_at: datetime
    expires_at: datetime = Field(description="started_at + hold_hours: still open then, it is cancelled by a job")
    voucher_id: int | Literal["auto"] | None = Field(description='the voucher held, "auto" or null')
    use_points: bool
    use_wallet: bool
    wallet_held_fen: int = Field(description="wallet money held now (0 once settled or cancelled)")
    points_held: int = Field(description="points held now (0 once settled or cancelled)")
    order_no: str | None = Field(description="the charge order that settled the session")
    closed_at: datetime | None


class SessionSettleIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "order_no": "ORD-CS-1", "end_time": "2026-03-12T11:00:00+08:00", "energy_kwh": "20.5", "elec_fee_fen": 2000,
        "service_fee_fen": 800}]})

    order_no: Id
    end_time: Instant
    energy_kwh: EnergyKwh
    elec_fee_fen: Fen
    service_fee_fen: Fen


class SessionSettlementOut(SettlementOut):
    session_id: str
