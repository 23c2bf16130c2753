"""Request and response bodies of stored value: settings, recharges, the wallet ledger, refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from evperks.api.schemas import Body, Fen, Id, Instant, PositiveFen, Reason, Reward, text
from evperks.domain.wallet import MAX_DENOMINATIONS

ProviderTxnId = text(1, 100)


class StoredValueSettingsIn(Body):
    min_recharge_fen: PositiveFen
    denominations_fen: Annotated[list[PositiveFen], Field(max_length=MAX_DENOMINATIONS)]
    allow_custom_amount: StrictBool
    # Checked by the service (422 naming the field, in the console's words too); left out: kept as saved.
    min_start_balance_fen: StrictInt | None = Field(
        default=None, description="启动充电最低余额: opening a charge session on the wallet needs this much available "
                                  "(≥ 0; default 0)")
    hold_hours: StrictInt | None = Field(
        default=None, description="an open charge session is cancelled this many hours after it started (1–720; default 24)")


class StoredValueSettingsOut(BaseModel):
    min_recharge_fen: int
    denominations_fen: list[int]
    allow_custom_amount: bool
    min_start_balance_fen: int
    hold_hours: int
    updated_at: datetime | None = Field(description="null while the defaults apply (never saved)")


class RechargeIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"order_no": "R-1", "member_id": "M1", "amount_fen": 10000}]})

    order_no: Id
    member_id: Id
    amount_fen: PositiveFen


class ConfirmIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"provider_txn_id": "TXN-1"}]})

    provider_txn_id: ProviderTxnId
    paid_at: Instant | None = None
    amount_fen: PositiveFen | None = Field(default=None, description="what was paid; 409 when it differs")


class RechargeVoucher(BaseModel):
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


class RechargeOut(BaseModel):
    order_no: str
    member_id: str
    amount_fen: int
    status: Literal["pending", "paid", "cancelled"]
    provider: str
    provider_txn_id: str | None
    pay_url: str | None = Field(description="where the payer pays (sandbox provider); null when the platform collects")
    created_at: datetime
    paid_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    vouchers: list[RechargeVoucher] | None = Field(default=None, description="充值详情: vouchers this recharge brought")


class RechargePage(BaseModel):
    items: list[RechargeOut]
    next_cursor: str | None


class ConfirmOut(BaseModel):
    order_no: str
    status: Literal["paid"]
    amount_fen: int
    wallet_balance_fen: int = Field(description="the balance right after this recharge was credited")
    rewards: list[Reward]


class LedgerEntry(BaseModel):
    id: int
    amount_fen: int
    balance_after_fen: int
    kind: Literal["recharge", "payment", "refund", "refund_reversal", "order_refund"]
    ref: str
    reason: str | None
    created_at: datetime


class LedgerPage(BaseModel):
    items: list[LedgerEntry]
    next_cursor: str | None


class RefundIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_fen": 100, "reason": "客服退款", "refund_no": "RF-1"}]})

    amount_fen: PositiveFen
    reason: Reason
    refund_no: Id | None = Field(default=None, description="idempotency key: the same refund_no again refunds once")
    via: Literal["outside", "wechat"] | None = Field(
        default=None, description="outside: paid back outside evperks; wechat: through WeChat Pay's refund API "
        "(needs a refund_no). Default: wechat when EVPERKS_PAYMENT_PROVIDER=wechat, else outside")
    order_no: Id | None = Field(default=None, description="via wechat: the paid recharge to refund "
                                "(default: the newest with enough left)")


class RefundOut(BaseModel):
    refund_no: str
    member_id: str
    amount_fen: int
    reason: str
    wallet_balance_fen: int = Field(description="the balance after the debit (outside) or now (wechat)")
    ledger_id: int
    created_at: datetime
    via: Literal["outside", "wechat"]
    order_no: str | None = Field(description="via wechat: the recharge refunded")
    status: Literal["pending", "success", "failed"] = Field(
        description="outside: success; wechat: pending until WeChat Pay reports, failed credits the wallet back")
    failure: str | None


class SandboxNotification(BaseModel):
    """Signed with ``X-Sandbox-Signature: sha256=<hex HMAC-SHA256 of the raw body>``."""

    order_no: str
    provider_txn_id: str
    amount_fen: Fen
    paid_at: datetime
