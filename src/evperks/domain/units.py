"""Units: money is integer fen up to MAX_FEN; energy is spoken in kWh with at most 3 decimals and stored
as exact integer Wh."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_FEN = 10**12  # ten billion yuan: far beyond any real bill, far below any integer overflow
MAX_WH = 10**9  # a million kWh: no single charge session comes near it


class InvalidEnergy(ValueError):
    pass


def kwh_to_wh(value: object) -> int:
    """Exact Wh from a kWh number or decimal string; more than 3 decimals or a negative is refused."""
    if isinstance(value, bool):
        raise InvalidEnergy("must be a number of kWh")
    try:
        kwh = Decimal(str(value).strip()) if isinstance(value, (int, float, str, Decimal)) else None
    except InvalidOperation:
        kwh = None
    if kwh is None or not kwh.is_finite():
        raise InvalidEnergy("must be a number of kWh")
    if kwh < 0:
        raise InvalidEnergy("may not be negative")
    wh = kwh * 1000
    if wh > MAX_WH:
        raise InvalidEnergy("may not exceed 1000000 kWh")
    if wh != wh.to_integral_value():
        raise InvalidEnergy("has at most 3 decimals")
    return int(wh)


def wh_to_kwh_str(wh: int) -> str:
    """'12.345' for 12345 Wh: a decimal string, exact, with exactly 3 decimals."""
    return str((Decimal(wh) / 1000).quantize(Decimal("0.001")))
