"""Units: money is integer fen up to MAX_FEN; energy is spoken in kWh with at most 3 decimals and stored
as exact integer Wh."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_FEN = 10**12  # ten billion yuan: far beyond any real bill, far below any integer overflow
MAX_WH = 10**9  # a million kWh: no single charge session comes near it


class InvalidEnergy(ValueError):
    """``code`` says which rule the energy broke (``energy.negative``…); the message is its English."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def kwh_to_wh(value: object) -> int:
    """Exact Wh from a kWh number or decimal string; more than 3 decimals or a negative is refused."""
    if isinstance(value, bool):
        raise InvalidEnergy("must be a number of kWh", code="energy.not_a_number")
    try:
        kwh = Decimal(str(value).strip()) if isinstance(value, (int, float, str, Decimal)) else None
    except InvalidOperation:
        kwh = None
    if kwh is None or not kwh.is_finite():
        raise InvalidEnergy("must be a number of kWh", code="energy.not_a_number")
    if kwh < 0:
        raise InvalidEnergy("may not be negative", code="energy.negative")
    try:
        return scaled_exactly(kwh, 3, MAX_WH)
    except TooLarge as exc:
        raise InvalidEnergy("may not exceed 1000000 kWh", code="energy.too_large") from exc
    except TooPrecise as exc:
        raise InvalidEnergy("has at most 3 decimals", code="energy.too_precise") from exc


class TooLarge(ValueError):
    pass


class TooPrecise(ValueError):
    pass


def scaled_exactly(number: Decimal, places: int, maximum: int) -> int:
    """A finite, non-negative ``number`` × 10^places as an exact integer (kWh → Wh, yuan → fen).

    Digits and exponent are read before any arithmetic, which would round to 28 digits: "1e999999999"
    would overflow, "1e-9999999" become 0 and "1.0000000000000000000000000001" become 1."""
    if number and number.adjusted() + places >= len(str(maximum)):
        raise TooLarge
    _, digits, exponent = number.as_tuple()
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if number and exponent + trailing_zeros < -places:
        raise TooPrecise
    scaled = int(number.scaleb(places))  # exact: what rounding to 28 digits could drop are zeros
    if scaled > maximum:
        raise TooLarge
    return scaled


def wh_to_kwh_str(wh: int) -> str:
    """'12.345' for 12345 Wh: a decimal string, exact, with exactly 3 decimals."""
    return str((Decimal(wh) / 1000).quantize(Decimal("0.001")))
