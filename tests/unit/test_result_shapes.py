"""The services' typed results name the same fields, in the same order, as the API schemas that
describe them: the JSON the API writes from a result is what its OpenAPI document promises."""

from __future__ import annotations

import dataclasses

import pytest

from evperks.api import schemas, schemas_mall, schemas_points, schemas_sessions, schemas_wallet
from evperks.services import members_store
from evperks.services.mall import results as mall
from evperks.services.points import results as points
from evperks.services.sessions import results as sessions
from evperks.services.settlement import results as settlement
from evperks.services.wallet import results as wallet

PAIRS = [
    (settlement.SettlementBody, schemas.SettlementOut),
    (settlement.SettledOrder, schemas.ChargeOrderOut),
    (settlement.RefundBody, schemas.OrderRefundOut),
    (wallet.RechargeDetail, schemas_wallet.RechargeOut),
    (wallet.RechargePage, schemas_wallet.RechargePage),
    (wallet.RechargeVoucher, schemas_wallet.RechargeVoucher),
    (wallet.Confirmed, schemas_wallet.ConfirmOut),
    (wallet.LedgerEntry, schemas_wallet.LedgerEntry),
    (wallet.LedgerPage, schemas_wallet.LedgerPage),
    (wallet.Refund, schemas_wallet.RefundOut),
    (wallet.StoredValueSettings, schemas_wallet.StoredValueSettingsOut),
    (points.PointsEntry, schemas_points.LedgerItem),
    (points.PointsLedgerPage, schemas_points.LedgerPage),
    (points.Adjusted, schemas_points.AdjustOut),
    (points.Lot, schemas_points.LotOut),
    (points.Expiring, schemas_points.Expiring),
    (points.MemberPoints, schemas_points.MemberPointsOut),
    (points.PointsSettingsView, schemas_points.PointsSettingsOut),
    (points.Earning, schemas_points.EarningOut),
    (points.Redemption, schemas_points.RedemptionOut),
    (mall.RewardLine, schemas_mall.RewardLineOut),
    (mall.MallItem, schemas_mall.MallItemOut),
    (mall.MallItemPage, schemas_mall.MallItemPage),
    (mall.OfferVoucher, schemas_mall.OfferVoucherOut),
    (mall.MallOffer, schemas_mall.MallOfferOut),
    (mall.MallOfferPage, schemas_mall.MallOfferPage),
    (mall.Exchange, schemas_mall.ExchangeOut),
    (members_store.Member, schemas.MemberOut),
    (sessions.ChargeSession, schemas_sessions.SessionOut),
    (sessions.SessionSettlement, schemas_sessions.SessionSettlementOut),
]


@pytest.mark.parametrize(("result", "schema"), PAIRS, ids=[r.__name__ for r, _ in PAIRS])
def test_a_result_names_the_fields_of_its_schema_in_order(result, schema):
    assert [f.name for f in dataclasses.fields(result)] == list(schema.model_fields)


def test_a_recharge_without_its_vouchers_is_the_schema_without_the_optional_vouchers():
    assert [f.name for f in dataclasses.fields(wallet.Recharge)] == [
        name for name in schemas_wallet.RechargeOut.model_fields if name != "vouchers"
    ]
    assert schemas_wallet.RechargeOut.model_fields["vouchers"].is_required() is False
