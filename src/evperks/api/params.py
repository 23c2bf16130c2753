"""Path and query parameters shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from evperks.api.schemas import ID_PATTERN, NO_NUL

PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]  # members, stations, orders
IntId = Annotated[int, Path(ge=1, le=2**62)]  # templates, vouchers, campaigns
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500, pattern=NO_NUL)]
