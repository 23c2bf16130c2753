"""A finished charge order as the platform reports it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

AUTO: Literal["auto"] = "auto"
VoucherChoice = int | None | Literal["auto"]  # a voucher id, no voucher, or the best one


@dataclass(frozen=True)
class ChargeOrder:
    member_id: str
    station_id: str
    start_time: datetime
    end_time: datetime
    energy_wh: int
    elec_fee_fen: int
    service_fee_fen: int
    voucher: VoucherChoice = AUTO
    use_points: bool = False
    use_wallet: bool = False
    order_no: str | None = None  # None for a quote

    def fingerprint(self) -> str:
        """sha256 of everything but the order number: a replay must carry the same content."""
        content = {
            "member_id": self.member_id,
            "station_id": self.station_id,
            "start_time": self.start_time.isoformat(),
            "end_time": self.end_time.isoformat(),
            "energy_wh": self.energy_wh,
            "elec_fee_fen": self.elec_fee_fen,
            "service_fee_fen": self.service_fee_fen,
            "voucher": self.voucher,
            "use_points": self.use_points,
            "use_wallet": self.use_wallet,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
