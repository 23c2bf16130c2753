"""Hostile input (issue 12): every ugly body below gets a 4xx application/problem+json naming the field at
fault, never a 500, and no row of any table changes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from evperks.db.tables import metadata
from tests.api.conftest import local

SETTLE = "/api/v1/charge-orders"
QUOTE = "/api/v1/charge-orders/quote"
CAMPAIGNS = "/api/v1/admin/campaigns"


def row_counts(ctx) -> dict[str, int]:
    with ctx.db.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


@pytest.fixture
def shop(api):
    """Station S1, a member with a voucher, a recharge waiting for payment, a draft campaign; the clock at
    2026-03-12 12:00 (Shanghai)."""
    api.station("S1")
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()
    template = api.template()
    api.give(member["id"], template["id"])
    recharge = api.platform("POST", "/api/v1/recharges", json={"order_no": "R1", "member_id": member["id"],
                                                               "amount_fen": 5000})
    assert recharge.status_code == 201, recharge.text
    draft = api.admin("POST", CAMPAIGNS, json={"type": "registration", "name": "注册礼"})
    assert draft.status_code == 201, draft.text
    api.set_clock(local(2026, 3, 12, 12))
    return {"member": member["id"], "template": template["id"], "campaign": draft.json()["id"]}


def _order(shop, **fields) -> dict:
    return {"order_no": "ORD-1", "member_id": shop["member"], "station_id": "S1",
            "start_time": "2026-03-12T10:00:00+08:00", "end_time": "2026-03-12T11:00:00+08:00",
            "energy_kwh": "20.5", "elec_fee_fen": 2000, "service_fee_fen": 800, **fields}


def _quote(shop, **fields) -> dict:
    return {name: value for name, value in _order(shop, **fields).items() if name != "order_no"}


def _consumption(**fields) -> dict:
    return {"type": "consumption", "metric": "energy", **fields}


# (role, method, path, body, status, field). A body given as bytes is sent as it is, as application/json;
# "{member}" etc. in a path or a string are filled in from the shop.
CASES = {
    # numbers that overflow the database or the decimal context, or round to nothing
    "voucher_id_past_bigint": ("platform", "POST", SETTLE, lambda s: _order(s, voucher_id=2**63), 422, "voucher_id"),
    "voucher_id_past_2_62": ("platform", "POST", QUOTE, lambda s: _quote(s, voucher_id=2**62 + 1), 422, "voucher_id"),
    "energy_overflowing_on_settle": ("platform", "POST", SETTLE, lambda s: _order(s, energy_kwh="1e999999999"), 422,
                                     "energy_kwh"),
    "energy_overflowing_on_quote": ("platform", "POST", QUOTE, lambda s: _quote(s, energy_kwh="1e999999999"), 422,
                                    "energy_kwh"),
    "energy_underflowing_to_zero": ("platform", "POST", SETTLE, lambda s: _order(s, energy_kwh="1e-9999999"), 422,
                                    "energy_kwh"),
    "energy_with_a_29th_digit": ("platform", "POST", SETTLE,
                                 lambda s: _order(s, energy_kwh="1.0000000000000000000000000001"), 422, "energy_kwh"),
    "issued_template_id_past_bigint": ("admin", "POST", "/api/v1/admin/members/{member}/vouchers",
                                       lambda s: {"template_id": 2**63, "reason": "补发"}, 422, "template_id"),
    "campaign_threshold_overflowing": ("admin", "POST", CAMPAIGNS,
                                       lambda s: _consumption(tiers=[{"threshold": "1e999999999"}]), 422,
                                       "tiers.0.threshold"),
    "campaign_reminder_underflowing": ("admin", "POST", CAMPAIGNS,
                                       lambda s: _consumption(progress_reminder="1e-9999999"), 422,
                                       "progress_reminder"),
    "campaign_threshold_overflowing_on_edit": ("admin", "PATCH", CAMPAIGNS + "/{campaign}",
                                               lambda s: _consumption(tiers=[{"threshold": "1e999999999"}]), 422,
                                               "tiers.0.threshold"),
    "bind_filter_kwh_overflowing": ("admin", "POST", CAMPAIGNS + "/{campaign}/members",
                                    lambda s: {"filter": {"min_total_kwh": "1e999999999"}}, 422, "min_total_kwh"),
    "points_rate_underflowing": ("admin", "PUT", "/api/v1/admin/points/settings",
                                 lambda s: {"earning": {"per_kwh": "1e-9999999"}}, 422, "earning.per_kwh"),
    # times: ISO 8601 strings only, within 1970-2199, sessions of at most 72 hours
    "end_time_as_unix_milliseconds": ("platform", "POST", SETTLE, lambda s: _order(s, end_time=253402300800), 422,
                                      "end_time"),
    "start_time_as_unix_seconds": ("platform", "POST", QUOTE, lambda s: _quote(s, start_time=1773280800), 422,
                                   "start_time"),
    "start_time_as_a_string_of_digits": ("platform", "POST", SETTLE, lambda s: _order(s, start_time="1773280800"),
                                         422, "start_time"),
    "a_73_hour_session": ("platform", "POST", SETTLE,
                          lambda s: _order(s, start_time="2026-03-09T10:00:00+08:00"), 422, "end_time"),
    "a_48_year_session_on_quote": ("platform", "POST", QUOTE,
                                   lambda s: _quote(s, start_time="1978-01-12T05:31:40+08:00"), 422, "end_time"),
    "year_1_east_of_utc": ("platform", "POST", SETTLE, lambda s: _order(s, start_time="0001-01-01T00:00:00+14:00"),
                           422, "start_time"),
    "registered_at_as_a_number": ("platform", "POST", "/api/v1/members",
                                  lambda s: {"phone": "13900000001", "registered_at": 1773280800}, 422,
                                  "registered_at"),
    "paid_at_as_a_number": ("platform", "POST", "/api/v1/recharges/R1/confirm",
                            lambda s: {"provider_txn_id": "T1", "paid_at": 1773280800000}, 422, "paid_at"),
    "granted_at_as_a_number": ("admin", "POST", "/api/v1/admin/members/{member}/points",
                               lambda s: {"points": 5, "reason": "补", "granted_at": 1773280800}, 422, "granted_at"),
    "window_start_as_a_number": ("admin", "POST", "/api/v1/admin/voucher-templates",
                                 lambda s: {"name": "券", "face_value_fen": 100, "deduction_type": "total",
                                            "validity": {"type": "window", "start": 1773280800,
                                                         "end": "2026-04-01T00:00:00"}}, 422, "validity.start"),
    "campaign_in_year_130": ("admin", "POST", CAMPAIGNS,
                             lambda s: {"type": "registration", "start_at": "0130-01-01T00:00:00"}, 422, "start_at"),
    "campaign_until_year_9999": ("admin", "POST", CAMPAIGNS,
                                 lambda s: {"type": "registration", "end_at": "9999-12-31T23:59:59"}, 422, "end_at"),
    "campaign_start_at_year_1_east_of_utc": ("admin", "PATCH", CAMPAIGNS + "/{campaign}",
                                             lambda s: {"start_at": "0001-01-01T00:00:00+14:00"}, 422, "start_at"),
    "campaign_issue_at_as_a_number": ("admin", "PATCH", CAMPAIGNS + "/{campaign}",
                                      lambda s: {"issue_at": 253402300800}, 422, "issue_at"),
    "bind_filter_registered_from_as_a_number": ("admin", "POST", CAMPAIGNS + "/{campaign}/members",
                                                lambda s: {"filter": {"registered_from": 0}}, 422,
                                                "filter.registered_from"),
    # bodies: names once, UTF-8, JSON proper
    "use_wallet_given_twice": ("platform", "POST", SETTLE, lambda s: _raw_order(s, '"use_wallet": false, '
                                                                                 '"use_wallet": true'),
                               422, "use_wallet"),
    "nested_name_given_twice": ("admin", "POST", "/api/v1/admin/voucher-templates",
                                lambda s: b'{"name": "x", "face_value_fen": 100, "deduction_type": "total", '
                                          b'"validity": {"type": "days", "days": 7, "days": 3650}}', 422, "days"),
    "campaign_name_given_twice": ("admin", "PATCH", CAMPAIGNS + "/{campaign}",
                                  lambda s: b'{"name": "a", "name": "b"}', 422, "name"),
    "utf16_body": ("platform", "POST", SETTLE, lambda s: json.dumps(_order(s)).encode("utf-16"), 400, "body"),
    "utf16le_body_without_bom": ("platform", "POST", SETTLE, lambda s: json.dumps(_order(s)).encode("utf-16-le"), 400,
                                 "body"),
    "utf8_with_bom": ("platform", "POST", SETTLE, lambda s: json.dumps(_order(s)).encode("utf-8-sig"), 400, "body"),
    "invalid_utf8": ("platform", "POST", SETTLE, lambda s: _raw_order(s, '"use_wallet": false').replace(
        b'"S1"', b'"S\xff"'), 400, "body"),
    "nan_energy": ("platform", "POST", SETTLE, lambda s: _raw_order(s, '"use_wallet": false').replace(
        b'"20.5"', b"NaN"), 400, "body"),
    "deeply_nested_json": ("platform", "POST", SETTLE, lambda s: b"[" * 200_000 + b"]" * 200_000, 400, "body"),
}


def _raw_order(shop, extra: str) -> bytes:
    body = json.dumps(_order(shop), ensure_ascii=False)
    return (body[:-1] + ", " + extra + "}").encode()


@pytest.mark.parametrize(("role", "method", "path", "make_body", "status", "field"), CASES.values(), ids=CASES.keys())
def test_an_ugly_body_is_refused_naming_its_field_and_changes_nothing(api, shop, role, method, path, make_body,
                                                                       status, field):
    body = make_body(shop)
    path = path.format(**shop)
    headers = api.admin_headers if role == "admin" else api.platform_headers
    before = row_counts(api.ctx)
    if isinstance(body, bytes):
        response = api.client.request(method, path, content=body,
                                      headers={**headers, "content-type": "application/json"})
    else:
        response = api.client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert row_counts(api.ctx) == before


def test_a_session_of_exactly_the_longest_allowed_length_settles(api, shop):
    response = api.settle(_order(shop, start_time="2026-03-09T11:00:00+08:00"))
    assert response.status_code == 201, response.text


def test_a_date_alone_is_read_as_local_midnight(api, shop):
    response = api.admin("PATCH", f"{CAMPAIGNS}/{shop['campaign']}", json={"start_at": "2026-04-01"})
    assert response.json()["start_at"] == "2026-04-01T00:00:00+08:00"


@pytest.mark.parametrize("field", ["reward", "tiers"])
def test_publishing_a_campaign_whose_list_was_sent_as_null_names_the_list(api, shop, field):
    campaign_type = "registration" if field == "reward" else "recharge"
    created = api.admin("POST", CAMPAIGNS, json={
        "type": campaign_type, "name": "活动", "start_at": "2026-03-13T00:00:00", "end_at": "2026-04-01T00:00:00",
        "rules_text": "规则", "total_packages": 10, field: None,
    })
    assert created.status_code == 201, created.text
    assert created.json()[field] == []
    before = row_counts(api.ctx)
    published = api.admin("POST", f"{CAMPAIGNS}/{created.json()['id']}/publish")
    assert published.status_code == 422, published.text
    assert published.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in published.json()["errors"]] == [field]
    assert row_counts(api.ctx) == before
    assert api.admin("GET", f"{CAMPAIGNS}/{created.json()['id']}").json()["status"] == "draft"


def test_publishing_a_draft_holding_a_stored_null_list_names_it(api, shop):
    """Drafts saved before null was stored as [] hold a JSON null in the column."""
    from sqlalchemy import update  # noqa: PLC0415

    from evperks.db.tables import campaigns  # noqa: PLC0415

    with api.ctx.db.write() as conn:
        conn.execute(update(campaigns).where(campaigns.c.id == shop["campaign"]).values(reward=None))
    published = api.admin("POST", f"{CAMPAIGNS}/{shop['campaign']}/publish")
    assert published.status_code == 422, published.text
    assert "reward" in [e["field"] for e in published.json()["errors"]]


# --- request size and the order of checks ----------------------------------------------------------

MB = 1024 * 1024


class Wire:
    """One request straight into the ASGI application, with a receive() that counts what it hands out:
    ``declared`` is the Content-Length header (None: chunked); 64 KiB chunks, 4 MiB in all."""

    def __init__(self, app, *, path: str, headers: dict[str, str], declared: int | None) -> None:
        self.app, self.path, self.declared = app, path, declared
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if declared is not None:
            self.headers.append((b"content-length", str(declared).encode()))
        self.bytes_taken = 0
        self.status: int | None = None
        self.body = b""

    async def receive(self) -> dict:
        chunk = b"x" * 65536
        self.bytes_taken += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.bytes_taken < 4 * MB}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers_out = dict(message["headers"])
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def post(self) -> Wire:
        import asyncio  # noqa: PLC0415

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": self.path, "raw_path": self.path.encode(), "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                                               *self.headers], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
        asyncio.run(self.app(scope, self.receive, self.send))
        return self


def test_a_huge_body_without_a_key_gets_401_and_is_never_read(api):
    wire = Wire(api.client.app, path=SETTLE, headers={}, declared=100 * MB).post()
    assert (wire.status, wire.bytes_taken) == (401, 0)


def test_a_huge_chunked_body_without_a_key_gets_401_and_is_never_read(api):
    wire = Wire(api.client.app, path=SETTLE, headers={}, declared=None).post()
    assert (wire.status, wire.bytes_taken) == (401, 0)


def test_a_declared_body_over_the_limit_gets_413_before_a_byte_is_read(api):
    wire = Wire(api.client.app, path=SETTLE, headers=api.platform_headers, declared=100 * MB).post()
    assert (wire.status, wire.bytes_taken) == (413, 0)
    assert wire.headers_out[b"content-type"].startswith(b"application/problem+json")
    assert json.loads(wire.body)["status"] == 413
    assert [e["field"] for e in json.loads(wire.body)["errors"]] == ["body"]


def test_a_chunked_body_gets_413_as_soon_as_it_passes_the_limit(api):
    wire = Wire(api.client.app, path=SETTLE, headers=api.platform_headers, declared=None).post()
    assert wire.status == 413
    assert MB < wire.bytes_taken <= MB + 65536


@pytest.mark.parametrize("body", [b"\xff{{{ not json", b'{"order_no": 1}', b"{" * 10])
def test_an_unparseable_or_invalid_body_without_a_key_gets_401(api, body):
    response = api.client.post(SETTLE, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_admin_call_with_a_platform_key_gets_403_before_its_body_is_parsed(api):
    response = api.client.patch(f"{CAMPAIGNS}/1", content=b"\xff",
                                headers={**api.platform_headers, "content-type": "application/json"})
    assert response.status_code == 403, response.text


def test_a_body_just_under_the_limit_is_read(api, shop):
    padded = json.dumps(_order(shop, order_no="ORD-PAD")) + " " * (MB - 1000)
    response = api.client.post(SETTLE, content=padded.encode(),
                               headers={**api.platform_headers, "content-type": "application/json"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("path", ["/admin/login", "/h5/register"])
def test_a_form_over_the_limit_gets_413_and_changes_nothing(api, path):
    before = row_counts(api.ctx)
    response = api.client.post(path, content=b"username=" + b"a" * (2 * MB),
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert row_counts(api.ctx) == before


def test_a_multipart_form_over_the_limit_gets_413(api):
    response = api.client.post("/h5/register", files={"phone": ("p.txt", b"1" * (2 * MB))})
    assert response.status_code == 413


@pytest.mark.parametrize("amount", ["²", "99999999999999999999"])
def test_an_h5_recharge_of_an_impossible_denomination_is_refused_on_the_page(api, shop, amount):
    from evperks.services import h5_links  # noqa: PLC0415

    session = h5_links.session_token(api.ctx, shop["member"])
    api.client.cookies.set("evperks_member", session)
    before = row_counts(api.ctx)
    response = api.client.post("/h5/recharge", data={"csrf_token": h5_links.form_token(api.ctx, session),
                                                      "amount": amount})
    assert response.status_code == 422, response.text
    assert row_counts(api.ctx) == before
