"""SMS verification codes for H5 sign-up: the provider seam, the sandbox provider, and the code rules.

A code is 6 digits, valid for CODE_TTL (5 minutes), allows MAX_ATTEMPTS (5) wrong tries, and a phone may
ask for a new one once every RESEND_INTERVAL (60 s) and at most MAX_PER_HOUR (5) times an hour. Only an
HMAC of the code is stored (``sms_codes.code_hash``). Asking for a code for a registered phone is refused
before anything is sent. The HMAC key is the ``sms-codes`` signing secret (``signing_keys``); after
``evperks secrets rotate sms-codes`` the previous version is accepted for CODE_TTL, so a code sent just
before a rotation can still be checked. A real provider (Aliyun, Tencent Cloud SMS, ...) implements ``SmsProvider``
and is named by ``EVPERKS_SMS_PROVIDER=package.module:factory`` (called with the settings); in sandbox
mode the sandbox provider sends nothing and hands the code back so the page can show it.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, insert, select, update

from evperks.db.tables import members
from evperks.db.tables_web import sms_codes
from evperks.domain.members import InvalidPhone, normalize_mobile
from evperks.services import signing_keys
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, Unavailable

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


class SmsUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("no SMS provider is configured", field="phone")


_built: dict[str, SmsProvider] = {}  # EVPERKS_SMS_PROVIDER → its provider, built once per process


def provider_for(ctx: Context) -> SmsProvider | None:
    target = ctx.settings.sms_provider
    if ctx.settings.sandbox or not target:
        return SandboxSmsProvider() if ctx.settings.sandbox else None
    if target not in _built:
        module, _, name = target.partition(":")
        try:
            _built[target] = getattr(importlib.import_module(module), name)(ctx.settings)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"EVPERKS_SMS_PROVIDER={target!r} cannot be loaded: {exc}") from exc
    return _built[target]


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
        raise Invalid(str(exc), field="phone") from exc


def request_code(ctx: Context, *, phone: str) -> SentCode:
    """Store a fresh code for ``phone`` and send it. 422 for a bad number, 409 when it is registered or
    asks again too soon, 503 without a provider."""
    phone = phone_or_invalid(phone)
    provider = provider_for(ctx)
    if provider is None:
        raise SmsUnavailable
    now = ctx.clock.now()
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    key = signing_keys.Ring(ctx, SECRET).current()  # before the transaction: the first use creates the key
    with ctx.db.write() as conn:
        if conn.execute(select(members.c.id).where(members.c.phone == phone)).first():
            raise Conflict(ALREADY_REGISTERED, field="phone")
        c = sms_codes.c
        latest, recent = conn.execute(
            select(func.max(c.created_at), func.count()).where(c.phone == phone, c.created_at > now - timedelta(hours=1))
        ).one()
        if latest is not None and latest > now - RESEND_INTERVAL:
            raise Conflict(TOO_SOON, field="phone")
        if recent >= MAX_PER_HOUR:
            raise Conflict(HOURLY_LIMIT, field="phone")
        conn.execute(insert(sms_codes).values(phone=phone, code_hash=_hash(key, phone, code), created_at=now,
                                              expires_at=now + CODE_TTL))
    # Sent after the commit: a failed insert never texts anyone.
    shown = provider.send_code(phone=phone, code=code)
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
            refusal = NO_CODE
        elif row.expires_at <= now:
            refusal = WRONG_CODE
        else:
            # Take an attempt before comparing, in one guarded UPDATE: parallel guesses cannot all read
            # "4 attempts so far" and each get a comparison.
            attempt = conn.execute(
                update(sms_codes).where(c.id == row.id, c.attempts < MAX_ATTEMPTS)
                .values(attempts=c.attempts + 1).returning(c.attempts)
            ).scalar_one_or_none()
            stored = row.code_hash if attempt is not None else None
            refusal = TOO_MANY_ATTEMPTS if attempt is None or attempt >= MAX_ATTEMPTS else WRONG_CODE
    # Compared after the commit (the attempt is counted either way), as finding the key may read the database.
    if stored is not None and _hashed_with_an_accepted_key(ctx, stored, phone, code.strip()):
        return phone
    raise Invalid(refusal, field="code")


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
