from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from evperks.api.responses import json_response


@pytest.mark.parametrize(("instant", "zone", "shown"), [
    (datetime(2026, 3, 12, 2, tzinfo=UTC), "Asia/Shanghai", "2026-03-12T10:00:00+08:00"),
    (datetime(1900, 1, 1, tzinfo=UTC), "Asia/Shanghai", "1900-01-01T00:00:00+00:00"),  # LMT +08:05:43
    (datetime(1971, 6, 1, 12, tzinfo=UTC), "Africa/Monrovia", "1971-06-01T12:00:00+00:00"),  # -00:44:30
    (datetime(1971, 6, 1, 12, tzinfo=UTC), "Asia/Kolkata", "1971-06-01T17:30:00+05:30"),
])
def test_instants_are_shown_in_the_operators_zone_unless_its_offset_is_not_whole_minutes(instant, zone, shown):
    response = json_response({"at": instant}, zone=ZoneInfo(zone))
    assert json.loads(response.body) == {"at": shown}
