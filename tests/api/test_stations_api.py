"""The station list and a station by id, for the platform and for admins."""

from __future__ import annotations


def test_stations_are_listed_in_id_order_a_page_at_a_time(api):
    for station_id in ("S3", "BE*BEC*E041503003", "S1", "S2"):
        api.station(station_id, name=f"站 {station_id}")

    first = api.platform("GET", "/api/v1/stations", params={"limit": 3})
    second = api.platform("GET", "/api/v1/stations", params={"limit": 3, "cursor": first.json()["next_cursor"]})

    assert first.status_code == 200 and second.status_code == 200
    assert [s["id"] for s in first.json()["items"]] == ["BE*BEC*E041503003", "S1", "S2"]
    assert second.json() == {"items": [{"id": "S3", "name": "站 S3", "city": "深圳"}], "next_cursor": None}


def test_a_station_is_read_by_id_and_an_unknown_one_is_404_problem(api):
    api.station("SZ-NS-01", name="南山站", city="深圳")

    found = api.platform("GET", "/api/v1/stations/SZ-NS-01")
    missing = api.platform("GET", "/api/v1/stations/SZ-NS-02")

    assert found.status_code == 200 and found.json() == {"id": "SZ-NS-01", "name": "南山站", "city": "深圳"}
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_admins_list_stations_too_and_callers_without_a_key_do_not(api):
    api.station("S1")
    assert [s["id"] for s in api.admin("GET", "/api/v1/stations").json()["items"]] == ["S1"]
    assert api.client.get("/api/v1/stations").status_code == 401


def test_an_empty_station_list_and_a_foreign_cursor(api):
    assert api.platform("GET", "/api/v1/stations").json() == {"items": [], "next_cursor": None}
    refused = api.platform("GET", "/api/v1/stations", params={"cursor": "garbage!"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "cursor"
