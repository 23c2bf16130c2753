"""What the stored-value use cases answer. Field order is the API's (``api.schemas_wallet``); a
recharge's confirmation is also stored with it (``as_dict``) and answered again to every repeat."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evperks.services.results import Result, result


@result
class StoredValueSettings(Result):
    min_recharge_fen: int
    denominations_fen: list[int]
    allow_custom_amount: bool
    min_start_balance_fen: int  # 启动充电最低余额: a charge session on the wallet needs this much available
    hold_hours: int  # an open charge session is cancelled this long after it started
    updated_at: datetime | None  # None while the defaults apply


@result
class LedgerEntry(Result):
    id: int
    amount_fen: int
    balance_after_fen: int
    kind: str  # recharge, payment, refund, refund_reversal, order_refund
    ref: str
    reason: str | None
    created_at: datetime


@result
class LedgerPage(Result):
    items: list[LedgerEntry]
    next_cursor: str | None


@result
class Recharge(Result):
    order_no: str
    member_id: str
    amount_fen: int
    status: str  # pending, paid, cancelled
    provider: str
    provider_txn_id: str | None
    pay_url: str | None
    created_at: datetime
    paid_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None


@result
class RechargeVoucher(Result):
    id: int
    campaign_id: int
    name: str
    face_value_fen: int | None  # None for a percent voucher
    deduction_type: str
    status: str
    valid_until: datetime
    kind: str
    percent_off: int | None
    max_deduction_fen: int | None


@result
class RechargeDetail(Recharge):
    """充值详情: a recharge with the vouchers its campaign packages brought."""

    vouchers: list[RechargeVoucher]


@result
class RechargePage(Result):
    items: list[RechargeDetail]
    next_cursor: str | None


@result
class Confirmed(Result):
    order_no: str
    status: str  # paid
    amount_fen: int
    wallet_balance_fen: int  # right after this recharge was credited
    rewards: list[Mapping[str, Any]]  # {campaign_id, voucher_ids}

    @classmethod
    def stored(cls, data: Mapping[str, Any]) -> Confirmed:
        """The first confirmation's answer as ``recharges.result`` keeps it."""
        return cls(**data)


@result
class Refund(Result):
    refund_no: str
    member_id: str
    amount_fen: int
    reason: str
    wallet_balance_fen: int
    ledger_id: int
    created_at: datetime
    via: str  # outside, wechat
    order_no: str | None
    status: str  # pending, success, failed
    failure: str | None


@result
class JsapiPayment(Result):
    """Inside WeChat: the parameters of WeixinJSBridge's getBrandWCPayRequest."""

    amount_fen: int
    jsapi: dict[str, str]  # plain: the page writes it with Jinja's tojson


@result
class H5Payment(Result):
    """Outside WeChat: the address that opens WeChat to pay."""

    amount_fen: int
    h5_url: str


@result
class RechargeSweep(Result):
    queried: int
    paid: int
    closed: int
    failed: int


@result
class RefundSweep(Result):
    refunds_queried: int
    refunds_finished: int
    refunds_failed_queries: int
