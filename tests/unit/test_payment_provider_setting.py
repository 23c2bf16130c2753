"""EVPERKS_PAYMENT_PROVIDER and what an incomplete WeChat Pay configuration does."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evperks.clock import RealClock
from evperks.config import Settings
from evperks.services.errors import Unavailable
from evperks.services.payments.wechat import WechatProvider


def test_the_provider_defaults_to_the_sandbox_in_sandbox_mode_and_to_the_platform_otherwise():
    assert Settings(sandbox=True).effective_payment_provider == "sandbox"
    assert Settings(sandbox=False).effective_payment_provider == "platform"
    assert Settings(sandbox=True, payment_provider="wechat").effective_payment_provider == "wechat"


def test_the_sandbox_provider_is_refused_outside_sandbox_mode():
    with pytest.raises(ValidationError, match="EVPERKS_SANDBOX"):
        Settings(sandbox=False, payment_provider="sandbox")


def test_an_apiv3_key_must_have_32_characters():
    with pytest.raises(ValidationError, match="wechat_apiv3_key"):
        Settings(wechat_apiv3_key="short")


def test_an_incomplete_wechat_configuration_is_503_naming_what_is_missing():
    settings = Settings(payment_provider="wechat", wechat_mchid="1900000109")
    provider = WechatProvider(settings, RealClock())
    with pytest.raises(Unavailable) as caught:
        provider.query("R1")
    for name in ("EVPERKS_WECHAT_APPID", "EVPERKS_WECHAT_PRIVATE_KEY", "EVPERKS_WECHAT_APIV3_KEY",
                 "EVPERKS_WECHAT_CERT_DIR"):
        assert name in caught.value.detail
    assert "EVPERKS_WECHAT_MCHID" not in caught.value.detail
