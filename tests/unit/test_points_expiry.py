"""The four expiry rules (积分清零规则), every worked example of the source and of product.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.points_expiry import (
    InvalidRule,
    Monthly,
    Never,
    PerGrant,
    Yearly,
    expires_at,
    expiry_date,
    rule_from_dict,
    rule_to_dict,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- worked examples ----------------------------------------------------------------------------

def test_never_expiring_points_have_no_expiry():
    assert expires_at(Never(), sh(2020, 5, 1, 10, 30), SHANGHAI) is None


def test_yearly_one_year_feb_1_clears_2020_points_at_2021_02_01_midnight():
    rule = Yearly(years=1, month=2, day=1)
    assert expires_at(rule, sh(2020, 5, 1), SHANGHAI) == sh(2021, 2, 1)
    assert expires_at(rule, sh(2020, 1, 1, 0, 0), SHANGHAI) == sh(2021, 2, 1)
    assert expires_at(rule, sh(2020, 12, 31, 23, 59, 59), SHANGHAI) == sh(2021, 2, 1)
    assert expires_at(rule, sh(2019, 7, 7), SHANGHAI) == sh(2020, 2, 1)  # "2020 or earlier"


def test_yearly_keeps_2021_points_past_2021_02_01():
    rule = Yearly(years=1, month=2, day=1)
    assert expires_at(rule, sh(2021, 1, 1), SHANGHAI) == sh(2022, 2, 1)
    assert expires_at(rule, sh(2021, 1, 31, 23, 59), SHANGHAI) == sh(2022, 2, 1)


def test_old_natural_year_settings_map_onto_yearly_rules():
    clear_last_year = Yearly(years=2, month=1, day=1)
    clear_all = Yearly(years=1, month=1, day=1)
    assert expires_at(clear_last_year, sh(2020, 6, 1), SHANGHAI) == sh(2022, 1, 1)
    assert expires_at(clear_all, sh(2020, 6, 1), SHANGHAI) == sh(2021, 1, 1)
    assert expires_at(clear_all, sh(2020, 12, 31, 23, 59), SHANGHAI) == sh(2021, 1, 1)


def test_yearly_two_years_feb_1_clears_2018_points_on_2020_02_01():
    rule = Yearly(years=2, month=2, day=1)
    assert expires_at(rule, sh(2018, 12, 31, 23, 59), SHANGHAI) == sh(2020, 2, 1)
    assert expires_at(rule, sh(2019, 1, 1), SHANGHAI) == sh(2021, 2, 1)


def test_monthly_one_month_25th_clears_may_points_on_june_25():
    rule = Monthly(months=1, day=25)
    assert expires_at(rule, sh(2020, 5, 6), SHANGHAI) == sh(2020, 6, 25)
    assert expires_at(rule, sh(2020, 5, 31, 23, 59), SHANGHAI) == sh(2020, 6, 25)
    assert expires_at(rule, sh(2020, 4, 1), SHANGHAI) == sh(2020, 5, 25)
    assert expires_at(rule, sh(2020, 6, 1), SHANGHAI) == sh(2020, 7, 25)  # June's points stay


def test_monthly_day_past_the_month_end_means_its_last_day():
    assert expiry_date(Monthly(months=1, day=31), date(2021, 1, 15)) == date(2021, 2, 28)
    assert expiry_date(Monthly(months=1, day=31), date(2024, 1, 15)) == date(2024, 2, 29)
    assert expiry_date(Monthly(months=1, day=30), date(2024, 1, 15)) == date(2024, 2, 29)
    assert expiry_date(Monthly(months=2, day=31), date(2024, 2, 1)) == date(2024, 4, 30)
    assert expiry_date(Monthly(months=1, day=31), date(2024, 2, 1)) == date(2024, 3, 31)


def test_monthly_crosses_year_ends():
    assert expiry_date(Monthly(months=1, day=25), date(2020, 12, 3)) == date(2021, 1, 25)
    assert expiry_date(Monthly(months=13, day=1), date(2020, 12, 3)) == date(2022, 1, 1)
    assert expiry_date(Monthly(months=12, day=10), date(2020, 1, 31)) == date(2021, 1, 10)


def test_per_grant_one_year_clears_at_the_anniversary_midnight():
    assert expires_at(PerGrant(years=1), sh(2020, 5, 1, 10, 30), SHANGHAI) == sh(2021, 5, 1)


def test_per_grant_feb_29_expires_on_feb_28():
    assert expiry_date(PerGrant(years=1), date(2020, 2, 29)) == date(2021, 2, 28)
    assert expiry_date(PerGrant(years=4), date(2020, 2, 29)) == date(2024, 2, 29)
    assert expiry_date(PerGrant(years=2), date(2022, 2, 28)) == date(2024, 2, 28)


def test_yearly_feb_29_means_feb_28_in_common_years():
    rule = Yearly(years=1, month=2, day=29)
    assert expiry_date(rule, date(2019, 3, 1)) == date(2020, 2, 29)
    assert expiry_date(rule, date(2020, 3, 1)) == date(2021, 2, 28)


def test_rule_change_example_per_grant_one_year_clears_grants_up_to_2019_05_14_at_2020_05_14():
    effective = sh(2020, 5, 14)
    rule = PerGrant(years=1)
    assert expires_at(rule, sh(2019, 5, 14, 23, 59), SHANGHAI) <= effective
    assert expires_at(rule, sh(2019, 5, 14, 0, 0), SHANGHAI) <= effective
    assert expires_at(rule, sh(2019, 5, 15, 0, 0), SHANGHAI) > effective
    assert expires_at(rule, sh(2018, 12, 31), SHANGHAI) <= effective


# --- the zone ----------------------------------------------------------------------------------

def test_the_grant_date_is_the_local_date_not_the_utc_date():
    # 2020-12-31 20:00 UTC is already 2021-01-01 04:00 in Shanghai: a 2021 grant.
    granted = datetime(2020, 12, 31, 20, tzinfo=UTC)
    assert expires_at(Yearly(1, 2, 1), granted, SHANGHAI) == sh(2022, 2, 1)
    assert expires_at(Yearly(1, 2, 1), granted, NEW_YORK) == datetime(2021, 2, 1, tzinfo=NEW_YORK)


def test_expiry_is_local_midnight_on_either_side_of_daylight_saving_in_new_york():
    # US DST 2021: starts March 14, ends November 7.
    winter = expires_at(PerGrant(1), datetime(2020, 3, 1, 12, tzinfo=NEW_YORK), NEW_YORK)
    summer = expires_at(PerGrant(1), datetime(2020, 3, 20, 12, tzinfo=NEW_YORK), NEW_YORK)
    assert winter == datetime(2021, 3, 1, 5, tzinfo=UTC)  # EST, UTC-5
    assert summer == datetime(2021, 3, 20, 4, tzinfo=UTC)  # EDT, UTC-4
    on_change_day = expires_at(PerGrant(1), datetime(2020, 3, 14, 12, tzinfo=NEW_YORK), NEW_YORK)
    assert on_change_day.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2021, 3, 14)


def test_berlin_monthly_expiry_is_local_midnight_in_summer_and_winter():
    assert expires_at(Monthly(1, 1), datetime(2021, 3, 15, tzinfo=BERLIN), BERLIN) == datetime(2021, 3, 31, 22, tzinfo=UTC)
    assert expires_at(Monthly(1, 1), datetime(2021, 10, 15, tzinfo=BERLIN), BERLIN) == datetime(2021, 10, 31, 23, tzinfo=UTC)


# --- validation and the stored form ---------------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    ({"rule": "yearly", "years": 0, "month": 2, "day": 1}, "years"),
    ({"rule": "yearly", "years": 1, "month": 13, "day": 1}, "month"),
    ({"rule": "yearly", "years": 1, "month": 4, "day": 31}, "day"),
    ({"rule": "yearly", "years": 1, "month": 2, "day": 30}, "day"),
    ({"rule": "yearly", "years": 1, "month": 2}, "day"),
    ({"rule": "monthly", "months": 0, "day": 1}, "months"),
    ({"rule": "monthly", "months": 1, "day": 32}, "day"),
    ({"rule": "per_grant", "years": 1, "day": 3}, "day"),
    ({"rule": "per_grant", "years": True}, "years"),
    ({"rule": "weekly"}, "rule"),
])
def test_invalid_rules_are_refused_naming_the_field(data, field):
    with pytest.raises(InvalidRule) as caught:
        rule_from_dict(data)
    assert caught.value.field == field


def test_yearly_feb_29_is_a_valid_setting():
    assert rule_from_dict({"rule": "yearly", "years": 1, "month": 2, "day": 29}) == Yearly(1, 2, 29)


# --- properties -----------------------------------------------------------------------------------

rules = st.one_of(
    st.builds(Yearly, st.integers(1, 5), st.integers(1, 12), st.integers(1, 28)),
    st.builds(Monthly, st.integers(1, 36), st.integers(1, 31)),
    st.builds(PerGrant, st.integers(1, 5)),
)
zones = st.sampled_from([SHANGHAI, NEW_YORK, BERLIN, ZoneInfo("UTC")])
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC))


@given(rules, instants, zones)
def test_every_expiry_is_a_local_midnight_after_the_grant(rule, granted, zone):
    expiry = expires_at(rule, granted, zone)
    local = expiry.astimezone(zone)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert expiry > granted
    assert expiry.tzinfo == UTC


@given(rules, instants, instants, zones)
def test_a_later_grant_never_expires_earlier(rule, a, b, zone):
    first, second = sorted([a, b])
    assert expires_at(rule, first, zone) <= expires_at(rule, second, zone)


@given(rules, zones, st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 1, 1)))
def test_grants_of_the_same_local_day_share_their_expiry(rule, zone, day):
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=zone)
    assert expires_at(rule, start, zone) == expires_at(rule, end, zone)


@given(rules)
def test_the_stored_form_round_trips(rule):
    assert rule_from_dict(rule_to_dict(rule)) == rule


@given(st.integers(1, 5), st.integers(1, 12), st.integers(1, 28), st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 1, 1)))
def test_yearly_groups_a_whole_year(years, month, day, granted):
    rule = Yearly(years, month, day)
    assert expiry_date(rule, granted) == expiry_date(rule, date(granted.year, 1, 1)) == date(granted.year + years, month, day)


@given(st.integers(1, 5), st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 1, 1)))
def test_per_grant_is_the_anniversary_or_feb_28(years, granted):
    expiry = expiry_date(PerGrant(years), granted)
    assert expiry.year == granted.year + years
    if (granted.month, granted.day) == (2, 29) and expiry.day != 29:
        assert (expiry.month, expiry.day) == (2, 28)
    else:
        assert (expiry.month, expiry.day) == (granted.month, granted.day)
    assert expiry - granted >= timedelta(days=365 * years - 1)
