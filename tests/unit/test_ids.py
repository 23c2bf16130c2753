"""The id characters: what platforms send (OCPI EVSE ids) passes, what a path segment cannot carry does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evperks.api.schemas import ID_CHARACTERS, ID_PATTERN

ID = re.compile(ID_PATTERN)


@pytest.mark.parametrize("value", ["BE*BEC*E041503003", "CN*TLD*E0001:2", "u1001", "SZ-NS-01", "a.b_c~d",
                                   "emsp@op!$(1),x;y=z", "...", ".x", "x.", "A" * 64])
def test_ids_platforms_send_are_accepted(value):
    assert ID.fullmatch(value)


@pytest.mark.parametrize("value", ["", ".", "..", "a/b", "a?b", "a#b", "a%2Ab", "a b", "a+b", "a&b", "a'b", 'a"b',
                                   "a<b", "a\\b", "a[b]", "a{b}", "a|b", "a^b", "a`b", "站点1", "a\nb", "a\x00b"])
def test_ids_a_path_segment_cannot_carry_as_is_are_refused(value):
    assert not ID.fullmatch(value)


def test_the_documented_characters_are_the_pattern():
    punctuation = {c for c in ID_CHARACTERS.split() if not c[0].isalnum()}
    allowed = {chr(c) for c in range(33, 127) if not chr(c).isalnum() and ID.fullmatch(f"a{chr(c)}")}
    assert punctuation == allowed
    assert f"`{ID_CHARACTERS}`" in (Path(__file__).parents[2] / "docs" / "integration.md").read_text(encoding="utf-8")
