"""JSON out: orjson, with instants shown in the operator's zone (``2026-03-17T00:00:00+08:00``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
from starlette.responses import Response

# Every API answer: never sniffed as another type, never stored by a browser or a shared cache (answers carry
# members' phones, balances and vouchers). Set here, where every answer is built, not by a middleware.
API_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def json_response(body: object, *, zone: ZoneInfo, status: int = 200, media_type: str = "application/json") -> Response:
    def default(value: object) -> object:
        if isinstance(value, datetime):
            return _iso(value, zone)
        raise TypeError(f"cannot serialise {type(value).__name__}")

    content = orjson.dumps(body, default=default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return Response(content, status_code=status, media_type=media_type, headers=API_HEADERS)


def _iso(instant: datetime, zone: ZoneInfo) -> str:
    """An ISO 8601 offset has whole minutes: before standard time a zone's local mean time (Shanghai's
    +08:05:43) would not be one, so such an instant is shown in UTC."""
    local = instant.astimezone(zone)
    if local.utcoffset().seconds % 60:
        local = instant.astimezone(UTC)
    return local.isoformat()
