"""The sandbox payment provider end to end over HTTP: pay page, form, signed notification."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.services import signing_keys
from evperks.services.context import Context
from evperks.services.payments import SandboxProvider
from evperks.services.payments.sandbox import PREVIOUS_KEY_OVERLAP
from evperks.services.signing_keys import CACHE_SECONDS
from tests.api.conftest import local


@pytest.fixture
def pending(api):
    """A member with a pending 100-yuan recharge R1; returns (member id, pay page path)."""
    api.set_clock(local(2026, 3, 12, 12))
    member = api.member()
    created = api.platform("POST", "/api/v1/recharges", json={"order_no": "R1", "member_id": member["id"],
                                                              "amount_fen": 10000})
    assert created.status_code == 201, created.text
    return member["id"], urlsplit(created.json()["pay_url"]).path


def balance(api, member_id: str) -> int:
    return api.platform("GET", f"/api/v1/members/{member_id}").json()["wallet_balance_fen"]


PAID_R1 = {"order_no": "R1", "provider_txn_id": "W1", "amount_fen": 10000, "paid_at": "2026-03-12T11:59:00+08:00"}


def signed_with(key: bytes, body: dict) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    return raw, {"X-Sandbox-Signature": "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest(),
                 "Content-Type": "application/json"}


def signed(api, body: dict) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    provider = SandboxProvider.for_context(api.ctx)
    return raw, {"X-Sandbox-Signature": "sha256=" + provider.signature(raw), "Content-Type": "application/json"}


def test_paying_on_the_sandbox_page_credits_the_wallet_once(api, pending):
    member_id, pay_path = pending
    assert pay_path == "/pay/sandbox/R1"
    page = api.client.get(pay_path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "¥100.00" in page.text and "确认支付" in page.text
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.text).group(1)
    paid = api.client.post(pay_path, data={"token": token}, follow_redirects=False)
    assert paid.status_code == 303 and paid.headers["location"] == pay_path
    assert "支付成功" in api.client.get(pay_path).text
    assert balance(api, member_id) == 10000
    again = api.client.post(pay_path, data={"token": token}, follow_redirects=False)  # pressed twice
    assert again.status_code == 303
    assert balance(api, member_id) == 10000
    recharge = api.platform("GET", "/api/v1/recharges/R1").json()
    assert (recharge["status"], recharge["provider"], recharge["pay_url"]) == ("paid", "sandbox", None)
    assert recharge["provider_txn_id"].startswith("SBX")


def test_a_pay_form_with_a_forged_token_pays_nothing(api, pending):
    member_id, pay_path = pending
    refused = api.client.post(pay_path, data={"token": "0" * 64}, follow_redirects=False)
    assert refused.status_code == 403
    assert balance(api, member_id) == 0


def test_a_signed_notification_confirms_and_its_repeats_change_nothing(api, pending):
    member_id, _ = pending
    raw, headers = signed(api, {"order_no": "R1", "provider_txn_id": "W1", "amount_fen": 10000,
                                "paid_at": "2026-03-12T11:59:00+08:00"})
    answers = [api.client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json() == answers[2].json()
    assert answers[0].json()["wallet_balance_fen"] == 10000
    assert balance(api, member_id) == 10000


def test_a_forged_notification_is_refused_and_changes_nothing(api, pending):
    member_id, _ = pending
    raw, forged = signed_with(b"guessed secret", PAID_R1)
    for headers in (forged, {"Content-Type": "application/json"}):
        response = api.client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    tampered, headers = signed(api, {"order_no": "R1", "provider_txn_id": "W1", "amount_fen": 10000,
                                     "paid_at": "2026-03-12T11:59:00+08:00"})
    response = api.client.post("/api/v1/payments/sandbox/notify", content=tampered.replace(b"10000", b"10001"),
                               headers=headers)
    assert response.status_code == 401
    assert balance(api, member_id) == 0
    assert api.platform("GET", "/api/v1/recharges/R1").json()["status"] == "pending"


def test_a_signed_notification_for_another_amount_is_a_conflict(api, pending):
    member_id, _ = pending
    raw, headers = signed(api, {"order_no": "R1", "provider_txn_id": "W1", "amount_fen": 1,
                                "paid_at": "2026-03-12T11:59:00+08:00"})
    assert api.client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers).status_code == 409
    assert balance(api, member_id) == 0


def test_the_pay_page_of_an_unknown_or_cancelled_order_offers_no_payment(api, pending):
    assert api.client.get("/pay/sandbox/nope").status_code == 404
    api.platform("POST", "/api/v1/recharges/R1/cancel")
    page = api.client.get("/pay/sandbox/R1")
    assert "已取消" in page.text and "确认支付" not in page.text


def test_a_pay_page_rendered_before_a_rotation_still_pays_after_it_until_the_overlap_ends(api, pending):
    member_id, pay_path = pending
    page = api.client.get(pay_path)
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.text).group(1)
    signing_keys.rotate(api.ctx, "sandbox-payments")
    assert re.search(r'name="token" value="([0-9a-f]+)"', api.client.get(pay_path).text).group(1) != token
    api.set_clock(local(2026, 3, 12, 12) + PREVIOUS_KEY_OVERLAP)
    paid = api.client.post(pay_path, data={"token": token}, follow_redirects=False)
    assert paid.status_code == 303 and balance(api, member_id) == 10000


def test_after_the_overlap_a_notification_signed_with_the_previous_key_is_refused(api, pending):
    member_id, _ = pending
    raw, headers = signed(api, PAID_R1)
    signing_keys.rotate(api.ctx, "sandbox-payments")
    api.set_clock(local(2026, 3, 12, 12) + PREVIOUS_KEY_OVERLAP + timedelta(seconds=CACHE_SECONDS))
    refused = api.client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers)
    assert refused.status_code == 401 and balance(api, member_id) == 0
    raw, headers = signed(api, PAID_R1)  # the same notification signed with the current key
    assert api.client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers).status_code == 200
    assert balance(api, member_id) == 10000


def test_a_sandbox_payment_secret_from_the_environment_signs_notifications(api, pending):
    member_id, _ = pending
    raw, headers = signed_with(b"shared with the platform's tests", PAID_R1)
    assert api.client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers).status_code == 401
    configured = api.ctx.settings.model_copy(update={"sandbox_payment_secret": "shared with the platform's tests"})
    node = Context.from_settings(configured)
    try:
        with TestClient(create_app(ctx=node)) as client:
            assert client.post("/api/v1/payments/sandbox/notify", content=raw, headers=headers).status_code == 200
    finally:
        node.db.dispose()
    assert balance(api, member_id) == 10000
