"""WeChat Pay (API v3) as the payment provider, end to end against a local fake WeChat Pay server.

Every way money could arrive — the notification, the query on the member's return, the sync job — and
every way a notification can be wrong (forged, replayed, out of the timestamp window, tampered,
foreign, for another amount) ends in a wallet credited exactly once or not at all.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from evperks.config import Settings
from evperks.jobs.kinds import WECHAT_SYNC, default_registry
from evperks.services import wallet
from evperks.services.wallet import wechat_pay
from evperks.services.wallet.provider_refunds import sweep_refunds
from tests import factories as f
from tests.live import serving
from tests.wechatpay_fake import PUBLIC_KEY_ID, FakeWechatPay, new_key

NOTIFY = "/api/v1/payments/wechat/notify"
INSIDE_WECHAT = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile MicroMessenger/8.0.50 NetType/WIFI"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def fake():
    server = FakeWechatPay().start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, fake: FakeWechatPay) -> Settings:
    return Settings(database_url=database_url, sandbox=True, scheduler=False, h5_link_secret="test-secret",
                    public_base_url="http://testserver", **fake.settings())


@pytest.fixture
def member(api) -> dict:
    return api.member()


def recharge(api, member_id: str, order_no: str = "R1", amount_fen: int = 10000) -> dict:
    created = api.platform("POST", "/api/v1/recharges",
                           json={"order_no": order_no, "member_id": member_id, "amount_fen": amount_fen})
    assert created.status_code == 201, created.text
    return created.json()


def prepaid(api, member_id: str, order_no: str = "R1", amount_fen: int = 10000) -> str:
    """A recharge prepaid at WeChat Pay (H5), as the pay page does it."""
    recharge(api, member_id, order_no, amount_fen)
    wechat_pay.start_payment(api.ctx, order_no=order_no, member_id=member_id, in_wechat=False, client_ip="10.0.0.8")
    return order_no


def sign_in(api, member_id: str) -> None:
    link = urlsplit(api.platform("GET", f"/api/v1/members/{member_id}/h5-link").json()["url"])
    assert api.client.get(f"/h5/enter?{link.query}", follow_redirects=False).status_code == 303


def now_ts(api) -> int:
    return int(api.ctx.clock.now().timestamp())


def notify(api, message: tuple[dict, bytes]):
    headers, body = message
    return api.client.post(NOTIFY, content=body, headers=headers)


def balance(api, member_id: str) -> int:
    return api.platform("GET", f"/api/v1/members/{member_id}").json()["wallet_balance_fen"]


def status(api, order_no: str = "R1") -> str:
    return api.platform("GET", f"/api/v1/recharges/{order_no}").json()["status"]


def ledger_kinds(api, member_id: str) -> list[tuple[str, int]]:
    items = api.platform("GET", f"/api/v1/members/{member_id}/wallet/ledger").json()["items"]
    return [(i["kind"], i["amount_fen"]) for i in reversed(items)]


# --- paying ----------------------------------------------------------------------------------------

def test_inside_wechat_the_pay_page_starts_a_signed_jsapi_payment_and_the_notification_credits_once(api, fake, member):
    patched = api.platform("PATCH", f"/api/v1/members/{member['id']}", json={"wechat_openid": OPENID})
    assert patched.status_code == 200, patched.text
    created = recharge(api, member["id"])
    assert urlsplit(created["pay_url"]).path == "/h5/recharges/R1/pay"
    sign_in(api, member["id"])
    page = api.client.get("/h5/recharges/R1/pay", headers={"User-Agent": INSIDE_WECHAT})
    assert page.status_code == 200 and "getBrandWCPayRequest" in page.text and "¥100.00" in page.text
    order = fake.orders["R1"]
    assert (order.kind, order.openid, order.total) == ("jsapi", OPENID, 10000)
    assert order.notify_url == "http://testserver/api/v1/payments/wechat/notify"
    params = _jsapi_params(page.text)
    assert params["package"] == f"prepay_id={order.prepay_id}" and fake.jsapi_signed(params)

    fake.pay("R1")
    answer = notify(api, fake.paid_notification("R1", timestamp=now_ts(api)))
    assert answer.status_code == 204, answer.text
    assert balance(api, member["id"]) == 10000
    paid = api.platform("GET", "/api/v1/recharges/R1").json()
    assert (paid["status"], paid["provider"], paid["provider_txn_id"]) == ("paid", "wechat", order.transaction_id)
    # WeChat Pay sends it again (new nonce and signature): answered 204, credited once.
    assert notify(api, fake.paid_notification("R1", timestamp=now_ts(api))).status_code == 204
    assert balance(api, member["id"]) == 10000
    assert ledger_kinds(api, member["id"]) == [("recharge", 10000)]


def _jsapi_params(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="jsapi-params">(.*?)</script>', html).group(1))


def test_outside_wechat_the_member_pays_on_the_h5_page_and_the_return_queries_before_the_notification(api, fake, member):
    recharge(api, member["id"])
    sign_in(api, member["id"])
    sent = api.client.get("/h5/recharges/R1/pay", follow_redirects=False)
    assert sent.status_code == 303
    target = urlsplit(sent.headers["location"])
    assert target.netloc == "wx.tenpay.com"
    assert parse_qs(target.query)["redirect_url"] == ["http://testserver/h5/recharges/R1/return"]
    assert fake.orders["R1"].kind == "h5"
    fake.pay("R1")
    back = api.client.get("/h5/recharges/R1/return", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/h5/recharges"
    assert status(api) == "paid" and balance(api, member["id"]) == 10000
    # The notification arrives after the query: nothing more.
    assert notify(api, fake.paid_notification("R1", timestamp=now_ts(api))).status_code == 204
    assert balance(api, member["id"]) == 10000


def test_a_notification_before_the_query_leaves_the_query_nothing_to_do(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    assert notify(api, fake.paid_notification("R1", timestamp=now_ts(api))).status_code == 204
    assert wechat_pay.sync_recharge(api.ctx, "R1")["status"] == "paid"
    assert balance(api, member["id"]) == 10000
    assert ledger_kinds(api, member["id"]) == [("recharge", 10000)]


def test_returning_before_paying_changes_nothing(api, fake, member):
    prepaid(api, member["id"])
    sign_in(api, member["id"])
    assert api.client.get("/h5/recharges/R1/return", follow_redirects=False).status_code == 303
    assert status(api) == "pending" and balance(api, member["id"]) == 0


def test_when_wechat_pay_is_down_the_pay_page_says_so_and_the_recharge_stays_pending(api, fake, member):
    recharge(api, member["id"])
    sign_in(api, member["id"])
    fake.down = True
    page = api.client.get("/h5/recharges/R1/pay", follow_redirects=False)
    assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    assert "暂时无法连接微信支付" in page.text
    assert status(api) == "pending"


def test_another_members_order_is_not_paid_from_this_session(api, fake, member):
    recharge(api, member["id"])
    other = api.member()
    sign_in(api, other["id"])
    answer = api.client.get("/h5/recharges/R1/pay", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/h5/recharges"
    assert "R1" not in fake.orders


# --- notifications that must credit nothing ---------------------------------------------------------

def test_a_forged_notification_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    answer = notify(api, fake.paid_notification("R1", timestamp=now_ts(api), key=new_key()))
    assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    assert status(api) == "pending" and balance(api, member["id"]) == 0


def test_a_notification_under_another_serial_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    answer = notify(api, fake.paid_notification("R1", timestamp=now_ts(api), serial=PUBLIC_KEY_ID + "9"))
    assert answer.status_code == 401
    assert balance(api, member["id"]) == 0


def test_a_notification_outside_the_timestamp_window_credits_nothing(api, fake, member):
    api.set_clock(api.ctx.clock.now().replace(microsecond=0))  # the sandbox clock stands still from here
    prepaid(api, member["id"])
    fake.pay("R1")
    for seconds in (-301, 301):
        answer = notify(api, fake.paid_notification("R1", timestamp=now_ts(api) + seconds))
        assert answer.status_code == 401 and "window" in answer.json()["detail"]
    assert balance(api, member["id"]) == 0
    assert notify(api, fake.paid_notification("R1", timestamp=now_ts(api) - 300)).status_code == 204
    assert balance(api, member["id"]) == 10000


def test_a_tampered_or_foreign_key_ciphertext_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    assert notify(api, fake.paid_notification("R1", timestamp=now_ts(api), tamper=True)).status_code == 401
    other_key = "0123456789abcdef0123456789abcdef"
    assert notify(api, fake.paid_notification("R1", timestamp=now_ts(api), apiv3_key=other_key)).status_code == 401
    assert status(api) == "pending" and balance(api, member["id"]) == 0


def test_a_tampered_body_under_a_genuine_signature_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    headers, body = fake.paid_notification("R1", timestamp=now_ts(api))
    assert notify(api, (headers, body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESS" '))).status_code == 401
    assert balance(api, member["id"]) == 0


def test_a_replayed_notification_credits_once(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    message = fake.paid_notification("R1", timestamp=now_ts(api))
    assert [notify(api, message).status_code for _ in range(3)] == [204, 204, 204]
    assert balance(api, member["id"]) == 10000
    assert ledger_kinds(api, member["id"]) == [("recharge", 10000)]


def test_a_notification_for_another_amount_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    answer = notify(api, fake.paid_notification("R1", total=1, timestamp=now_ts(api)))
    assert answer.status_code == 409 and answer.json()["errors"][0]["field"] == "amount_fen"
    assert status(api) == "pending" and balance(api, member["id"]) == 0


def test_a_query_answering_another_amount_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1").total = 1
    assert wechat_pay.sync_recharge(api.ctx, "R1")["status"] == "pending"
    assert balance(api, member["id"]) == 0


def test_a_query_answer_not_signed_by_wechat_pay_credits_nothing(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    fake.answer_key = new_key()
    assert wechat_pay.sync_recharge(api.ctx, "R1")["status"] == "pending"
    assert balance(api, member["id"]) == 0


def test_requests_signed_with_another_merchant_key_are_refused_by_wechat_pay(api, fake, member):
    fake.merchant_key = new_key()  # WeChat Pay now holds a key that is not ours
    recharge(api, member["id"])
    sign_in(api, member["id"])
    assert api.client.get("/h5/recharges/R1/pay", follow_redirects=False).status_code == 503
    assert fake.refused == 1 and "R1" not in fake.orders


def test_parallel_notifications_and_queries_credit_once(ctx, fake):
    member = f.member(ctx)
    wallet.create_recharge(ctx, order_no="R1", member_id=member["id"], amount_fen=10000)
    wechat_pay.start_payment(ctx, order_no="R1", member_id=member["id"], in_wechat=False, client_ip="10.0.0.8")
    fake.pay("R1")
    ts = int(ctx.clock.now().timestamp())
    messages = [fake.paid_notification("R1", timestamp=ts) for _ in range(8)]
    with serving(ctx) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        with ThreadPoolExecutor(10) as pool:
            posts = [pool.submit(client.post, NOTIFY, content=body, headers=headers) for headers, body in messages]
            queries = [pool.submit(wechat_pay.sync_recharge, ctx, "R1") for _ in range(2)]
            codes = [p.result().status_code for p in posts]
            assert {q.result()["status"] for q in queries} == {"paid"}
    assert codes == [204] * 8
    assert wallet.get_recharge(ctx, "R1")["status"] == "paid"
    ledger = wallet.member_ledger(ctx, member_id=member["id"])["items"]
    assert [(i["kind"], i["amount_fen"]) for i in ledger] == [("recharge", 10000)]
    assert wallet.reconcile_wallets(ctx) == []


# --- the sync job: query fallback and closing --------------------------------------------------------

def test_the_sync_job_credits_a_paid_recharge_whose_notification_was_lost(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    assert wechat_pay.sweep_recharges(api.ctx)["queried"] == 0  # too young to ask about
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=3))
    assert wechat_pay.sweep_recharges(api.ctx) == {"queried": 1, "paid": 1, "closed": 0, "failed": 0}
    assert status(api) == "paid" and balance(api, member["id"]) == 10000
    assert wechat_pay.sweep_recharges(api.ctx)["queried"] == 0


def test_an_unpaid_recharge_is_closed_at_wechat_pay_then_cancelled(api, fake, member):
    prepaid(api, member["id"])
    recharge(api, member["id"], "R2")  # never opened: WeChat Pay does not know it
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=10))
    assert wechat_pay.sweep_recharges(api.ctx)["closed"] == 0
    assert status(api) == "pending"
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=21))
    assert wechat_pay.sweep_recharges(api.ctx)["closed"] == 2
    assert fake.orders["R1"].state == "CLOSED" and ("POST", "/v3/pay/transactions/out-trade-no/R1/close") in fake.requests
    assert (status(api, "R1"), status(api, "R2")) == ("cancelled", "cancelled")
    assert balance(api, member["id"]) == 0


def test_a_recharge_paid_just_before_its_closing_time_is_credited_not_cancelled(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=31))
    assert wechat_pay.sweep_recharges(api.ctx)["paid"] == 1
    assert status(api) == "paid" and fake.orders["R1"].state == "SUCCESS"


def test_the_sync_job_leaves_recharges_pending_while_wechat_pay_is_down(api, fake, member):
    prepaid(api, member["id"])
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=31))
    fake.down = True
    assert wechat_pay.sweep_recharges(api.ctx)["failed"] == 1
    assert status(api) == "pending"


def test_cancelling_a_wechat_recharge_closes_it_there_first(api, fake, member):
    prepaid(api, member["id"])
    cancelled = api.platform("POST", "/api/v1/recharges/R1/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert fake.orders["R1"].state == "CLOSED"


def test_cancelling_a_recharge_paid_at_wechat_pay_credits_it_and_is_409(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    refused = api.platform("POST", "/api/v1/recharges/R1/cancel")
    assert refused.status_code == 409
    assert status(api) == "paid" and balance(api, member["id"]) == 10000


def test_the_sync_job_is_registered_and_runs_the_sweeps(api, fake, member):
    prepaid(api, member["id"])
    fake.pay("R1")
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=3))
    result = default_registry().handler(WECHAT_SYNC)(api.ctx, {})
    assert result["paid"] == 1 and result["refunds_queried"] == 0
    assert status(api) == "paid"


# --- refunds through WeChat Pay -----------------------------------------------------------------------

def paid_recharge(api, fake, member_id: str, order_no: str = "R1", amount_fen: int = 10000) -> None:
    prepaid(api, member_id, order_no, amount_fen)
    fake.pay(order_no)
    assert notify(api, fake.paid_notification(order_no, timestamp=now_ts(api))).status_code == 204


def refund(api, member_id: str, **fields):
    body = {"amount_fen": 3000, "reason": "用户申请退款", "refund_no": "RF1", **fields}
    return api.admin("POST", f"/api/v1/admin/members/{member_id}/wallet/refund", json=body)


def test_a_refund_through_wechat_pay_debits_once_and_its_notification_completes_it(api, fake, member):
    paid_recharge(api, fake, member["id"])
    first = refund(api, member["id"])
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["via"], body["order_no"], body["status"], body["wallet_balance_fen"]) == ("wechat", "R1", "pending", 7000)
    assert fake.refunds["RF1"].amount == 3000 and fake.refunds["RF1"].order.out_trade_no == "R1"
    again = refund(api, member["id"])
    assert again.status_code == 200 and again.json()["status"] == "pending"
    assert len(fake.refunds) == 1 and balance(api, member["id"]) == 7000
    fake.finish_refund("RF1", "SUCCESS")
    assert notify(api, fake.refund_notification("RF1", timestamp=now_ts(api))).status_code == 204
    assert notify(api, fake.refund_notification("RF1", timestamp=now_ts(api))).status_code == 204
    assert refund(api, member["id"]).json()["status"] == "success"
    assert balance(api, member["id"]) == 7000
    assert ledger_kinds(api, member["id"]) == [("recharge", 10000), ("refund", -3000)]


def test_a_refund_wechat_pay_closes_puts_the_money_back_once(api, fake, member):
    paid_recharge(api, fake, member["id"])
    assert refund(api, member["id"]).status_code == 201
    fake.finish_refund("RF1", "CLOSED")
    for _ in range(2):
        assert notify(api, fake.refund_notification("RF1", timestamp=now_ts(api))).status_code == 204
    assert refund(api, member["id"]).json()["status"] == "failed"
    assert balance(api, member["id"]) == 10000
    assert ledger_kinds(api, member["id"]) == [("recharge", 10000), ("refund", -3000), ("refund_reversal", 3000)]


def test_a_refund_wechat_pay_refuses_at_once_puts_the_money_back(api, fake, member):
    paid_recharge(api, fake, member["id"])
    fake.refund_answer = "NOT_ENOUGH"
    answer = refund(api, member["id"])
    assert answer.status_code == 201
    assert answer.json()["status"] == "failed" and "NOT_ENOUGH" in answer.json()["failure"]
    assert balance(api, member["id"]) == 10000


def test_a_refund_whose_answer_was_lost_is_finished_by_the_sync_job(api, fake, member):
    paid_recharge(api, fake, member["id"])
    fake.down = True
    assert refund(api, member["id"]).json()["status"] == "pending"
    assert balance(api, member["id"]) == 7000
    fake.down = False
    api.set_clock(api.ctx.clock.now() + timedelta(minutes=3))
    # WeChat Pay never received it: the refund failed, the money goes back.
    assert sweep_refunds(api.ctx)["refunds_finished"] == 1
    assert refund(api, member["id"]).json()["status"] == "failed"
    assert balance(api, member["id"]) == 10000


def test_a_refund_goes_to_the_newest_recharge_with_enough_left(api, fake, member):
    paid_recharge(api, fake, member["id"], "R1", 10000)
    time.sleep(1.1)  # WeChat Pay's success_time has whole seconds: R2 is paid later
    paid_recharge(api, fake, member["id"], "R2", 2000)
    assert refund(api, member["id"], amount_fen=3000).json()["order_no"] == "R1"
    assert refund(api, member["id"], amount_fen=2000, refund_no="RF2").json()["order_no"] == "R2"
    too_much = refund(api, member["id"], amount_fen=7001, refund_no="RF3")
    assert too_much.status_code == 409 and too_much.json()["errors"][0]["field"] == "amount_fen"
    named = refund(api, member["id"], amount_fen=1000, refund_no="RF4", order_no="R2")
    assert named.status_code == 409  # R2 has nothing left
    assert balance(api, member["id"]) == 7000


def test_a_refund_outside_evperks_is_still_possible_with_wechat_pay(api, fake, member):
    paid_recharge(api, fake, member["id"])
    answer = refund(api, member["id"], via="outside")
    assert answer.status_code == 201 and answer.json()["via"] == "outside" and answer.json()["status"] == "success"
    assert fake.refunds == {} and balance(api, member["id"]) == 7000


def test_a_refund_through_wechat_pay_needs_a_refund_no(api, fake, member):
    paid_recharge(api, fake, member["id"])
    answer = refund(api, member["id"], refund_no=None)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "refund_no"
    assert balance(api, member["id"]) == 10000


def test_an_outside_refund_cannot_reuse_a_wechat_refund_no(api, fake, member):
    paid_recharge(api, fake, member["id"])
    assert refund(api, member["id"]).status_code == 201
    reused = refund(api, member["id"], via="outside")
    assert reused.status_code == 409 and reused.json()["errors"][0]["field"] == "refund_no"
    assert balance(api, member["id"]) == 7000
