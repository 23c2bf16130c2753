"""How the audit log shows a stored value: labels in the console's language, yuan, the operator's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from evperks.web.admin.audit import changes
from evperks.web.i18n import translations

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = translations("zh_CN").gettext
EN = translations("en").gettext


def shown(before: dict | None, after: dict | None, gettext=ZH) -> dict[str, tuple]:
    return {row["label"]: (row["before"], row["after"]) for row in changes(before, after, SHANGHAI, gettext)}


def test_money_is_in_yuan_and_instants_in_the_operator_s_zone():
    rows = shown({"face_value_fen": 1000, "end_at": "2026-03-16T16:00:00+00:00", "denominations_fen": [5000, 10050]},
                 {"face_value_fen": 1250, "end_at": "2026-03-31T16:00:00+00:00", "denominations_fen": [5000]})
    assert rows["面额（元）"] == ("¥10.00", "¥12.50")
    assert rows["结束时间"] == ("2026-03-17 00:00", "2026-04-01 00:00")
    assert rows["固定面额（元）"] == ("¥50.00、¥100.50", "¥50.00")


def test_nested_keys_coded_values_and_flags_read_as_words_in_either_language():
    before = {"redemption": {"enabled": False, "base": "total"}, "deduction_type": "total", "type": "recharge"}
    after = {"redemption": {"enabled": True, "base": "service_fee"}, "deduction_type": "service_fee", "type": "recharge"}
    rows = shown(before, after)
    assert rows["积分抵现 · 已启用"] == ("否", "是")
    assert rows["积分抵现 · 抵扣范围"] == ("消费总额", "服务费")
    assert rows["类型"] == ("充值活动", "充值活动")
    english = shown(before, after, EN)
    assert english["Redemption for cash · Enabled"] == ("No", "Yes")


def test_a_key_without_a_label_keeps_its_name_and_a_missing_value_reads_as_a_dash():
    rows = shown(None, {"something_new": "x", "nickname": None})
    assert rows["something_new"] == (None, "x")
    assert rows["昵称"] == (None, "—")
