"""Console form parsing: exact yuan → fen, kWh → Wh, local wall time → UTC, whole numbers, and every
refusal naming its field."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.datastructures import QueryParams

from evperks.services.errors import Invalid
from evperks.web import forms

SHANGHAI = ZoneInfo("Asia/Shanghai")


def refusal(parse, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(Invalid) as caught:
        parse(*args, **kwargs)
    [reason] = caught.value.errors
    assert reason.code.startswith("form."), reason  # pages translate the code, never the English
    return reason.field, reason.message


def by_field(refused: Invalid) -> dict[str, str]:
    return {reason.field: reason.message for reason in refused.errors}


@pytest.mark.parametrize(("typed", "fen"), [
    ("12.50", 1250), ("12.5", 1250), ("12", 1200), (" 0.01 ", 1), ("1,000.10", 100010), ("0.10", 10),
    ("1.230", 123), ("10000000000", 10**12), ("0", 0),
])
def test_yuan_becomes_exact_fen(typed, fen):
    assert forms.yuan_to_fen(typed, "amount") == fen


@pytest.mark.parametrize(("typed", "message"), [
    ("abc", "Enter an amount in yuan, e.g. 12.50"), ("1.234", "At most 2 decimals (fen)"),
    ("0.001", "At most 2 decimals (fen)"), ("-1", "May not be negative"), ("NaN", "Enter an amount in yuan, e.g. 12.50"),
    ("Infinity", "Enter an amount in yuan, e.g. 12.50"), ("1e30", "Too large"), ("10000000000.01", "Too large"),
    ("1e999999999", "Too large"), ("1e-9999999", "At most 2 decimals (fen)"),
    ("12.5000000000000000000000000001", "At most 2 decimals (fen)"),
])
def test_bad_yuan_is_refused_by_field(typed, message):
    assert refusal(forms.yuan_to_fen, typed, "face_value") == ("face_value", message)


def test_zero_yuan_is_refused_only_where_the_amount_must_be_positive_and_blank_is_none():
    assert refusal(forms.yuan_to_fen, "0.00", "face_value", positive=True) == ("face_value", "Must be greater than 0")
    assert forms.yuan_to_fen("  ", "min_spend") is None
    assert forms.for_display(1250) == "12.50" and forms.for_display(5) == "0.05" and forms.for_display(None) == ""


def test_kwh_becomes_exact_wh_and_bad_energy_names_the_field():
    assert forms.kwh("12.345", "min_total_kwh") == 12345
    assert forms.kwh("", "min_total_kwh") is None
    assert refusal(forms.kwh, "1.2345", "min_total_kwh") == ("min_total_kwh", "At most 3 decimals")
    assert refusal(forms.kwh, "-1", "min_total_kwh") == ("min_total_kwh", "May not be negative")
    assert refusal(forms.kwh, "lots", "min_total_kwh") == ("min_total_kwh", "Enter a number of kWh")


def test_datetime_local_is_the_operators_wall_time():
    assert forms.local_datetime("2026-03-10T08:00", "start", SHANGHAI) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    assert forms.wall_time(datetime(2026, 3, 10, 0, 0, tzinfo=UTC), SHANGHAI) == "2026-03-10T08:00"
    assert forms.local_datetime("", "start", SHANGHAI) is None
    assert refusal(forms.local_datetime, "2026-02-30T08:00", "start", SHANGHAI) == ("start", "Enter a date and time")
    assert refusal(forms.local_datetime, "2026-03-10T08:00+00:00", "start", SHANGHAI) == ("start", "Enter a date and time")
    # Year 1 in Shanghai is the day before in UTC, which no datetime holds: refused, not an OverflowError.
    assert refusal(forms.local_datetime, "0001-01-01T00:00", "start", SHANGHAI) == ("start", "Enter a date and time")
    # The API's range, 1970-2199: a campaign from year 130 to 9999 is no campaign.
    assert refusal(forms.local_datetime, "0130-01-01T00:00", "start", SHANGHAI) == ("start", "Enter a date and time")
    assert refusal(forms.local_datetime, "9999-12-31T23:59", "end", SHANGHAI) == ("end", "Enter a date and time")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31"])
def test_a_member_search_day_outside_1970_to_2199_is_refused_not_overflowed(day):
    with pytest.raises(Invalid) as refused:
        forms.member_search({"registered_from": day, "registered_to": day}, SHANGHAI)
    assert by_field(refused.value) == {"registered_from": "Enter a date", "registered_to": "Enter a date"}


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Required"), ("0", "Must be greater than 0"), ("-2", "Must be greater than 0"), ("1.5", "Enter a whole number"),
    ("--5", "Enter a whole number"), ("１２", "Enter a whole number"), ("101", "Too large"),
])
def test_positive_whole_numbers(typed, message):
    assert forms.positive_int("7", "quantity", maximum=100) == 7
    assert refusal(forms.positive_int, typed, "quantity", maximum=100) == ("quantity", message)


def test_text_is_trimmed_and_limited():
    assert forms.text("  南山站 ", "name", required=True) == "南山站"
    assert refusal(forms.text, "   ", "name", required=True) == ("name", "Required")
    assert refusal(forms.text, "x" * 101, "name") == ("name", "Too long")
    assert refusal(forms.text, "a\x00b", "name") == ("name", "Contains a character that is not allowed")


def test_fields_gathers_every_refusal_at_once():
    fields = forms.Fields()
    assert fields.take(forms.yuan_to_fen, "abc", "face_value") is None
    assert fields.take(forms.text, "", "name", required=True) is None
    assert fields.take(forms.positive_int, "3", "quantity") == 3
    with pytest.raises(Invalid) as caught:
        fields.check()
    assert by_field(caught.value) == {"face_value": "Enter an amount in yuan, e.g. 12.50", "name": "Required"}


def test_member_search_reads_local_days_inclusively_and_money_in_yuan():
    flt = forms.member_search(QueryParams("phone=139&registered_from=2026-03-01&registered_to=2026-03-31&tag=vip"
                                          "&min_charge_count=2&min_total_kwh=10.5&min_total_paid=99.9&invited=no"), SHANGHAI)
    assert flt.registered_from == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert flt.registered_to == datetime(2026, 3, 31, 16, tzinfo=UTC)  # the whole of 31 March, local
    assert (flt.phone, flt.tag, flt.min_charge_count, flt.min_total_wh, flt.min_total_paid_fen, flt.invited) == (
        "139", "vip", 2, 10500, 9990, False)
    assert forms.member_search(QueryParams(""), SHANGHAI) == forms.MemberFilter()


def test_a_bad_member_search_names_every_wrong_field():
    with pytest.raises(Invalid) as caught:
        forms.member_search(QueryParams("phone=13a&registered_from=2026-03-05&registered_to=2026-03-01"
                                        "&min_total_paid=1.234&invited=maybe"), SHANGHAI)
    assert by_field(caught.value) == {
        "phone": "Digits only", "registered_to": "Must not be before the start",
        "min_total_paid": "At most 2 decimals (fen)", "invited": "Choose one of the options"}
