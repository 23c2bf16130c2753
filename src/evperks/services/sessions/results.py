"""What the charge-session use cases answer. Field order is the API's (``api.schemas_sessions``)."""

from __future__ import annotations

from datetime import datetime

from evperks.services.results import Result, result
from evperks.services.settlement.results import SettlementBody


@result
class ChargeSession(Result):
    session_id: str
    member_id: str
    station_id: str
    status: str  # open, settled, cancelled
    started_at: datetime
    expires_at: datetime
    voucher_id: int | str | None  # the voucher held, "auto" (chosen at settlement) or None (no voucher)
    use_points: bool
    use_wallet: bool
    # What the session holds now: nothing once it is settled or cancelled.
    wallet_held_fen: int
    points_held: int
    order_no: str | None  # the order it settled
    closed_at: datetime | None


@result
class SessionSettlement(SettlementBody):
    """The settlement's body, as ``POST /charge-orders`` answers it, and the session it settled."""

    session_id: str
