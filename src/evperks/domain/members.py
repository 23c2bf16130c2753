"""Member rules: phone numbers and invite codes."""

from __future__ import annotations

import re
import secrets

_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only: \d would take "١٣..." and store it
_SEP = r"[\s-]*"
# What normalize_mobile accepts, as one pattern for the API schema: an optional +86/0086, then 1, 3–9
# and nine digits, with spaces and dashes anywhere.
MOBILE_INPUT_PATTERN = (rf"^{_SEP}(?:(?:\+{_SEP}8{_SEP}6|0{_SEP}0{_SEP}8{_SEP}6){_SEP})?"
                        rf"1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}{_SEP}$")
# No 0/O, 1/I/L: codes are read aloud and typed from screenshots.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_CODE_LENGTH = 8


class InvalidPhone(ValueError):
    pass


def normalize_mobile(raw: str) -> str:
    """An 11-digit mainland-China mobile number; accepts spaces, dashes and a +86/0086 prefix."""
    digits = re.sub(r"[\s-]", "", raw)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone("must be an 11-digit mainland China mobile number starting with 13–19")
    return digits


def new_invite_code() -> str:
    """An unguessable code: 31^8 ≈ 8.5·10^11 possibilities, drawn from the OS's CSPRNG."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))
