"""An exclusive end (a voucher valid until 12-10 00:00) reads as the last minute it covers, and the points
expiry rules say precisely what is wrong with a value."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from evperks.domain.points_expiry import InvalidRule, Monthly, PerGrant, Yearly, validate
from evperks.web.i18n import translations
from evperks.web.refusals import say
from evperks.web.templating import local_end, local_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_seven_day_voucher_issued_on_12_03_reads_valid_until_12_09_23_59():
    issued_day_end = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # 2026-12-10 00:00 in Shanghai, exclusive
    assert local_time(issued_day_end, SHANGHAI) == "2026-12-10 00:00"
    assert local_end(issued_day_end, SHANGHAI) == "2026-12-09 23:59"
    assert local_end(issued_day_end, SHANGHAI, "%m-%d") == "12-09"


def test_an_end_that_is_not_midnight_reads_as_it_is_and_none_reads_empty():
    assert local_end(datetime(2026, 12, 10, 2, 30, tzinfo=UTC), SHANGHAI) == "2026-12-10 10:30"
    assert local_end(None, SHANGHAI) == ""


@pytest.mark.parametrize(("rule", "field", "code", "zh"), [
    (Yearly(1, 2, 30), "day", "points.expiry_day_not_in_month", "2月没有30日"),
    (Yearly(1, 4, 31), "day", "points.expiry_day_not_in_month", "4月没有31日"),
    (Yearly(1, 13, 1), "month", "points.expiry_month_unknown", "没有13月：请填 1 到 12"),
    (Yearly(101, 1, 1), "years", "points.expiry_years_range", "年数须在 1 到 100 之间"),
    (PerGrant(0), "years", "points.expiry_years_range", "年数须在 1 到 100 之间"),
    (Monthly(1201, 1), "months", "points.expiry_months_range", "月数须在 1 到 1200 之间"),
    (Monthly(1, 32), "day", "points.expiry_day_unknown", "没有32日：请填 1 到 31"),
])
def test_an_impossible_expiry_rule_names_the_field_and_says_what_is_wrong(rule, field, code, zh):
    with pytest.raises(InvalidRule) as refused:
        validate(rule)
    assert (refused.value.field, refused.value.reason.code) == (field, code)
    assert say(refused.value.reason, translations("zh_CN").gettext) == zh


def test_february_29_stays_a_valid_yearly_day():
    assert validate(Yearly(1, 2, 29)) == Yearly(1, 2, 29)
