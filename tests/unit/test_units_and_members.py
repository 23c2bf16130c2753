from __future__ import annotations

import re

import pytest

from evperks.api.schemas import MemberIn
from evperks.domain.members import (
    INVITE_ALPHABET,
    MOBILE_INPUT_PATTERN,
    InvalidPhone,
    new_invite_code,
    normalize_mobile,
)
from evperks.domain.units import InvalidEnergy, kwh_to_wh, wh_to_kwh_str


@pytest.mark.parametrize("raw", ["13800138000", "+8613800138000", "0086 138-0013-8000", " 138 0013 8000 "])
def test_mainland_mobile_numbers_are_normalised_to_eleven_digits(raw):
    assert normalize_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "138001380001", "abcdefghijk", "+1 415 555 0100"])
def test_anything_but_a_mainland_mobile_number_is_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_mobile(raw)


def test_invite_codes_are_eight_unambiguous_characters_and_differ():
    codes = {new_invite_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 8 and set(c) <= set(INVITE_ALPHABET) for c in codes)
    assert not set("01IOL") & set(INVITE_ALPHABET)


@pytest.mark.parametrize(("kwh", "wh"), [
    ("20.5", 20500), (20.5, 20500), (0, 0), ("0.001", 1), (12, 12000), ("1000000", 10**9),
    ("0E-9999999", 0), ("1." + "0" * 1000, 1000), ("1e6", 10**9),
])
def test_kwh_is_stored_as_exact_integer_wh(kwh, wh):
    assert kwh_to_wh(kwh) == wh


@pytest.mark.parametrize("kwh", ["0.0001", -1, "-0.5", "abc", "NaN", "inf", True, None, "1000000.001", [1],
                                 "1e999999999", "1e-9999999", "1.0000000000000000000000000001", 1e-320])
def test_bad_energy_values_are_refused(kwh):
    with pytest.raises(InvalidEnergy):
        kwh_to_wh(kwh)


def test_wh_reads_back_as_a_three_decimal_kwh_string():
    assert wh_to_kwh_str(20500) == "20.500"
    assert wh_to_kwh_str(0) == "0.000"


def test_a_phone_with_digits_of_another_script_is_refused():
    with pytest.raises(InvalidPhone):
        normalize_mobile("138\u0660\u0660138000")  # ARABIC-INDIC DIGIT ZERO: \\d matches it, a phone may not


@pytest.mark.parametrize("raw", ["13800138000", "+86 138-0013-8000", "0086 13800138000", " 138 0013 8000 ",
                                 "+8613800138000", "-1-3-8-0-0-1-3-8-0-0-0-", "12800138000", "1380013800",
                                 "138001380001", "13800138000x", "+87 13800138000", "138\u0660\u0660138000", ""])
def test_the_api_schemas_phone_pattern_accepts_exactly_what_normalize_mobile_accepts(raw):
    try:
        normalize_mobile(raw)
        accepted = True
    except InvalidPhone:
        accepted = False
    assert bool(re.fullmatch(MOBILE_INPUT_PATTERN, raw)) == accepted
    assert MemberIn.model_json_schema()["properties"]["phone"]["pattern"] == MOBILE_INPUT_PATTERN
