"""Settings, read from ``EVPERKS_*`` environment variables (see docs/configuration.md)."""

from __future__ import annotations

import ipaddress
import socket
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVPERKS_", extra="ignore")

    database_url: str = "sqlite:///evperks.db"
    timezone: str = "Asia/Shanghai"
    sandbox: bool = False
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    clock_skew_seconds: int = Field(default=300, ge=0, le=3600)
    scheduler: bool = True
    scheduler_interval_seconds: float = Field(default=1.0, gt=0, le=3600)
    job_lease_seconds: int = Field(default=30, ge=5, le=3600)
    one_time_batch_size: int = Field(default=5000, ge=1, le=100_000)
    voucher_expiry_interval_minutes: int = Field(default=60, ge=1, le=1440)
    api_key_cache_seconds: float = Field(default=30.0, ge=0)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    h5_link_secret: str | None = None
    h5_link_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    # Signing secrets override the ones generated in the database (services.signing_keys); unset is the norm.
    sandbox_payment_secret: str | None = None
    sms_code_secret: str | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    sms_provider: str | None = Field(default=None, pattern=r"^(sandbox|aliyun|tencent|[\w.]+:\w+)$")
    # The settings of the SMS providers aliyun and tencent (docs/configuration.md, docs/h5.md#sms-providers).
    sms_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    sms_aliyun_access_key_id: str | None = None
    sms_aliyun_access_key_secret: str | None = None
    sms_aliyun_sign_name: str | None = None
    sms_aliyun_template_code: str | None = None
    sms_aliyun_template_param: str = Field(default="code", pattern=r"^\w+$")
    sms_aliyun_endpoint: str = Field(default="https://dysmsapi.aliyuncs.com", pattern=r"^https?://[^/\s]+$")
    sms_tencent_secret_id: str | None = None
    sms_tencent_secret_key: str | None = None
    sms_tencent_sdk_app_id: str | None = None
    sms_tencent_sign_name: str | None = None
    sms_tencent_template_id: str | None = None
    sms_tencent_region: str = Field(default="ap-guangzhou", pattern=r"^[a-z0-9-]+$")
    sms_tencent_endpoint: str = Field(default="https://sms.tencentcloudapi.com", pattern=r"^https?://[^/\s]+$")
    admin_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_max_failures_per_address: int = Field(default=30, ge=1, le=10_000)
    login_max_failures_per_username: int = Field(default=100, ge=1, le=100_000)
    login_known_address_days: int = Field(default=30, ge=0, le=365)
    log_level: str = "INFO"
    # Hostile input: bodies are refused (413) past this size before being read; sessions longer are refused.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    max_session_hours: int = Field(default=72, ge=1, le=24 * 366)
    # --- payments: the provider members pay recharges through (docs/stored-value.md) ---------------
    payment_provider: Literal["sandbox", "platform", "wechat"] | None = None
    wechat_mchid: str | None = None
    wechat_appid: str | None = None
    wechat_merchant_serial_no: str | None = None
    wechat_private_key: str | None = None  # PEM content, or the path of a PEM file
    wechat_apiv3_key: str | None = Field(default=None, min_length=32, max_length=32)
    wechat_public_key: str | None = None  # 微信支付公钥 (PEM content or path), with its id
    wechat_public_key_id: str | None = None
    wechat_cert_dir: str | None = None  # platform certificates instead of the public key
    wechat_api_base_url: str = "https://api.mch.weixin.qq.com"
    wechat_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    wechat_notify_window_seconds: int = Field(default=300, ge=30, le=3600)
    wechat_query_after_minutes: int = Field(default=2, ge=1, le=1440)
    wechat_close_after_minutes: int = Field(default=30, ge=5, le=24 * 60)
    metrics_access: Literal["off", "open", "admin"] = "admin"
    docs_access: Literal["off", "open", "admin"] | None = None  # unset: open in the sandbox, admin otherwise

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _sandbox_payments_need_sandbox_mode(self) -> Settings:
        if self.payment_provider == "sandbox" and not self.sandbox:
            raise ValueError("EVPERKS_PAYMENT_PROVIDER=sandbox needs EVPERKS_SANDBOX=1 (its pay page exists only there)")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag whenever the public address is https."""
        return self.public_base_url.startswith("https://")

    @property
    def effective_payment_provider(self) -> str:
        """EVPERKS_PAYMENT_PROVIDER, by default the sandbox in sandbox mode and the platform otherwise."""
        return self.payment_provider or ("sandbox" if self.sandbox else "platform")

    @property
    def wechat_pay_enabled(self) -> bool:
        """WeChat Pay's notify endpoint and sync job run: it is the provider, or it was (a merchant id is
        still set, so late notifications and pending refunds are still handled)."""
        return self.effective_payment_provider == "wechat" or bool(self.wechat_mchid)

    @property
    def docs_exposure(self) -> str:
        return self.docs_access or ("open" if self.sandbox else "admin")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# --- the public address when the operator names none ---------------------------------------------------
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}
LOOPBACK_HOSTS = {"localhost", "::1", "[::1]"}


def listening_base_url(host: str, port: int) -> str:
    """The address ``serve --host --port`` is reached at, the default ``EVPERKS_PUBLIC_BASE_URL``.

    A wildcard host (0.0.0.0, ::) is not an address anyone can open; the machine's fully qualified name is
    what other hosts most likely know it by, falling back to 127.0.0.1 when it has none."""
    if host in WILDCARD_HOSTS:
        name = socket.getfqdn()
        host = name if name and name not in LOOPBACK_HOSTS and not name.startswith("localhost.") else "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}"


def is_loopback_url(url: str) -> bool:
    """Whether links built on ``url`` can only be opened on this machine."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
