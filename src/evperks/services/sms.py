"""SMS verification codes for H5 sign-up: the provider seam, the sandbox provider, and the code rules.

A code is 6 digits, valid for CODE_TTL (5 minutes), allows MAX_ATTEMPTS (5) wrong tries, and a phone may
ask for a new one once every RESEND_INTERVAL (60 s) and at most MAX_PER_HOUR (5) times an hour. Only an
HMAC of the code is stored (``sms_codes.code_hash``). Asking for a code for a registered phone is refused
before anything is sent. The HMAC key is the ``sms-codes`` signing secret (``signing_keys``); after
``evperks secrets rotate sms-codes`` the previous version is accepted for CODE_TTL, so a code sent just
before a rotation can still be checked. ``EVPERKS_SMS_PROVIDER`` names the provider: ``aliyun`` or
``tencent`` (their official SDKs, in ``services/sms_providers``), ``sandbox``, or any
``package.module:factory`` called with the settings that returns an ``SmsProvider``; unset, sandbox mode
uses the sandbox provider, which sends nothing and hands the code back so the page can show it.

A code's row is written (and committed) before the provider is called, so it holds the phone's place:
a parallel request for the same phone sees it and waits its minute, and a failed insert texts no one.
When the provider fails, the row is deleted in a second transaction: the failed attempt counts against
neither the resend interval nor the hourly limit, and leaves no code that could be verified.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, insert, select, update

from evperks.db.tables import members
from evperks.db.tables_web import sms_codes
from evperks.domain.members import InvalidPhone, normalize_mobile
from evperks.services import signing_keys
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, Unavailable
from evperks.services.h5_views import mask_phone

log = logging.getLogger("evperks.sms")

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
MAX_PER_HOUR = 5
CODE_DIGITS = 6

WRONG_CODE = "the verification code is wrong or has expired"
TOO_MANY_ATTEMPTS = "too many wrong codes: request a new code"
NO_CODE = "request a verification code first"
TOO_SOON = "a code was sent less than a minute ago: wait before requesting another"
HOURLY_LIMIT = "too many codes requested for this phone: try again in an hour"
ALREADY_REGISTERED = "this phone number is already registered"
SEND_FAILED = "the SMS could not be sent: try again later"
SECRET = signing_keys.Secret("sms-codes", "sms_code_secret", overlap=lambda _: CODE_TTL)


class SmsProvider(Protocol):
    name: str

    def send_code(self, *, phone: str, code: str) -> str | None:
        """Deliver ``code`` to ``phone``; return the code only when the page may show it (the sandbox)."""


class SandboxSmsProvider:
    """Sends nothing: the code goes back to the page, marked 沙箱."""

    name = "sandbox"

    def send_code(self, *, phone: str, code: str) -> str | None:
        return code


class SmsNotSent(Exception):
    """Raised by a provider that did not take the message. ``reason`` is what the log shows: the
    provider's error code or the kind of network failure, never the message (it holds the code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SmsUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("no SMS provider is configured", field="phone", code="sms.unavailable")


class SmsSendFailed(Unavailable):
    def __init__(self) -> None:
        super().__init__(SEND_FAILED, field="phone", code="sms.send_failed")


# EVPERKS_SMS_PROVIDER's names for the built-in providers; their SDKs are imported only when named.
NAMED_PROVIDERS = {
    "aliyun": "evperks.services.sms_providers.aliyun:AliyunSms",
    "tencent": "evperks.services.sms_providers.tencent:TencentSms",
}

_built: dict[tuple, SmsProvider] = {}  # (provider, its settings) → the provider, built once per process


def provider_for(ctx: Context) -> SmsProvider | None:
    """The configured provider, or None when there is none. A provider that cannot be loaded, or misses a
    setting it needs, raises ValueError naming it (the application calls this at start)."""
    target = ctx.settings.sms_provider or ("sandbox" if ctx.settings.sandbox else None)
    if target is None:
        return None
    if target == "sandbox":
        return SandboxSmsProvider()
    key = (target, *sorted((name, str(value)) for name, value in ctx.settings if name.startswith("sms_")))
    if key not in _built:
        module, _, name = NAMED_PROVIDERS.get(target, target).partition(":")
        try:
            _built[key] = getattr(importlib.import_module(module), name)(ctx.settings)
        except (ImportError, AttributeError) as exc:
            hint = f" (pip install 'evperks[{target}]')" if target in NAMED_PROVIDERS else ""
            raise ValueError(f"EVPERKS_SMS_PROVIDER={target!r} cannot be loaded: {exc}{hint}") from exc
    return _built[key]


@dataclass(frozen=True)
class SentCode:
    phone: str
    expires_at: datetime
    provider: str
    shown_code: str | None  # the sandbox's code, for the page to show


def phone_or_invalid(raw: str) -> str:
    try:
        return normalize_mobile(raw)
    except InvalidPhone as exc:
        raise Invalid(str(exc), field="phone", code="phone.invalid") from exc


def request_code(ctx: Context, *, phone: str) -> SentCode:
    """Store a fresh code for ``phone`` and send it. 422 for a bad number, 409 when it is registered or
    asks again too soon, 503 without a provider or when the provider fails (then nothing is counted)."""
    phone = phone_or_invalid(phone)
    provider = provider_for(ctx)
    if provider is None:
        raise SmsUnavailable
    now = ctx.clock.now()
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    key = signing_keys.Ring(ctx, SECRET).current()  # before the transaction: the first use creates the key
    with ctx.db.write() as conn:
        if conn.dialect.name == "postgresql":
            # The limits are read, then a row inserted: requests for one phone take turns, as SQLite's
            # BEGIN IMMEDIATE already makes them, so two at the same instant cannot both send.
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"evperks.sms:{phone}"))))
        if conn.execute(select(members.c.id).where(members.c.phone == phone)).first():
            raise Conflict(ALREADY_REGISTERED, field="phone", code="member.phone_registered")
        c = sms_codes.c
        latest, recent = conn.execute(
            select(func.max(c.created_at), func.count()).where(c.phone == phone, c.created_at > now - timedelta(hours=1))
        ).one()
        if latest is not None and latest > now - RESEND_INTERVAL:
            raise Conflict(TOO_SOON, field="phone", code="sms.too_soon")
        if recent >= MAX_PER_HOUR:
            raise Conflict(HOURLY_LIMIT, field="phone", code="sms.hourly_limit")
        code_id = conn.execute(insert(sms_codes).values(phone=phone, code_hash=_hash(key, phone, code),
                                                        created_at=now, expires_at=now + CODE_TTL)
                               ).inserted_primary_key[0]
    # Sent after the commit: a failed insert never texts anyone.
    try:
        shown = provider.send_code(phone=phone, code=code)
    except Exception as exc:  # noqa: BLE001 - whatever a provider raises, the member gets a 503, not a 500
        with ctx.db.write() as conn:
            conn.execute(delete(sms_codes).where(sms_codes.c.id == code_id))
        reason = exc.reason if isinstance(exc, SmsNotSent) else type(exc).__name__
        log.warning("SMS provider %s did not send a code to %s: %s", provider.name, mask_phone(phone), reason)
        raise SmsSendFailed from None
    return SentCode(phone=phone, expires_at=now + CODE_TTL, provider=provider.name, shown_code=shown)


def check_code(ctx: Context, *, phone: str, code: str) -> str:
    """The normalised phone when ``code`` is its latest unexpired code; otherwise a 422 on ``code``.
    Every check counts as one of the code's MAX_ATTEMPTS. The code stays usable until ``consume_code``,
    so a registration refused for another field can be sent again with it."""
    phone = phone_or_invalid(phone)
    now = ctx.clock.now()
    c = sms_codes.c
    stored = None
    with ctx.db.write() as conn:
        row = conn.execute(
            select(c.id, c.code_hash, c.expires_at)
            .where(c.phone == phone, c.consumed_at.is_(None))
            .order_by(c.created_at.desc(), c.id.desc()).limit(1)
        ).first()
        if row is None:
            refusal = Invalid(NO_CODE, field="code", code="sms.no_code")
        elif row.expires_at <= now:
            refusal = Invalid(WRONG_CODE, field="code", code="sms.wrong_code")
        else:
            # Take an attempt before comparing, in one guarded UPDATE: parallel guesses cannot all read
            # "4 attempts so far" and each get a comparison.
            attempt = conn.execute(
                update(sms_codes).where(c.id == row.id, c.attempts < MAX_ATTEMPTS)
                .values(attempts=c.attempts + 1).returning(c.attempts)
            ).scalar_one_or_none()
            stored = row.code_hash if attempt is not None else None
            refusal = (Invalid(TOO_MANY_ATTEMPTS, field="code", code="sms.too_many_attempts")
                       if attempt is None or attempt >= MAX_ATTEMPTS else Invalid(WRONG_CODE, field="code", code="sms.wrong_code"))
    # Compared after the commit (the attempt is counted either way), as finding the key may read the database.
    if stored is not None and _hashed_with_an_accepted_key(ctx, stored, phone, code.strip()):
        return phone
    raise refusal


def consume_code(ctx: Context, *, phone: str) -> None:
    """Spend every open code of ``phone`` (called once its registration has succeeded)."""
    phone = phone_or_invalid(phone)
    with ctx.db.write() as conn:
        conn.execute(update(sms_codes).where(sms_codes.c.phone == phone, sms_codes.c.consumed_at.is_(None))
                     .values(consumed_at=ctx.clock.now()))


def _hash(key: signing_keys.Key, phone: str, code: str) -> str:
    # Keyed, so a leaked table does not give the codes away by trying all 10^6.
    return hmac.new(key.secret, f"{phone}\n{code}".encode(), hashlib.sha256).hexdigest()


def _hashed_with_an_accepted_key(ctx: Context, stored: str, phone: str, code: str) -> bool:
    return signing_keys.Ring(ctx, SECRET).find(lambda key: hmac.compare_digest(stored, _hash(key, phone, code))) is not None
