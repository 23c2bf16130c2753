"""Settings, read from ``EVPERKS_*`` environment variables (see docs/configuration.md)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
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
    job_lease_seconds: int = Field(default=300, ge=5)
    voucher_expiry_interval_minutes: int = Field(default=60, ge=1, le=1440)
    api_key_cache_seconds: float = Field(default=30.0, ge=0)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    h5_link_secret: str | None = None
    h5_link_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    public_base_url: str = "http://127.0.0.1:8000"
    sms_provider: str | None = Field(default=None, pattern=r"^[\w.]+:\w+$")
    admin_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_max_failures_per_address: int = Field(default=30, ge=1, le=10_000)
    login_max_failures_per_username: int = Field(default=100, ge=1, le=100_000)
    login_known_address_days: int = Field(default=30, ge=0, le=365)
    log_level: str = "INFO"
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

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag whenever the public address is https."""
        return self.public_base_url.startswith("https://")

    @property
    def docs_exposure(self) -> str:
        return self.docs_access or ("open" if self.sandbox else "admin")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
