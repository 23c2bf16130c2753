"""SMS verification codes for H5 sign-up: hashed storage, expiry, attempts, resend limits (both engines)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from evperks.app import create_app
from evperks.db.tables_web import sms_codes
from evperks.services import members, sms
from evperks.services.errors import Conflict, Invalid
from tests import factories as f

NOON = f.local(2026, 3, 12, 12)


@pytest.fixture
def at_noon(ctx):
    ctx.clock.move_to(NOON)
    return ctx


def test_a_sandbox_code_is_shown_stored_only_as_a_hash_and_accepted_once_consumed(at_noon):
    ctx = at_noon
    sent = sms.request_code(ctx, phone="+86 139-0000-0001")
    assert (sent.phone, sent.provider, sent.expires_at) == ("13900000001", "sandbox", NOON + sms.CODE_TTL)
    assert len(sent.shown_code) == 6 and sent.shown_code.isdigit()
    with ctx.db.read() as conn:
        (stored,) = conn.execute(select(sms_codes)).all()
    assert sent.shown_code not in stored.code_hash and len(stored.code_hash) == 64
    assert sms.check_code(ctx, phone="13900000001", code=sent.shown_code) == "13900000001"
    sms.consume_code(ctx, phone="13900000001")
    with pytest.raises(Invalid) as refused:
        sms.check_code(ctx, phone="13900000001", code=sent.shown_code)
    assert [(e.field, e.message) for e in refused.value.errors] == [("code", sms.NO_CODE)]


def test_a_code_expires_after_five_minutes(at_noon):
    ctx = at_noon
    code = sms.request_code(ctx, phone="13900000001").shown_code
    ctx.clock.move_to(NOON + sms.CODE_TTL)
    with pytest.raises(Invalid) as refused:
        sms.check_code(ctx, phone="13900000001", code=code)
    assert [(e.field, e.message) for e in refused.value.errors] == [("code", sms.WRONG_CODE)]


def test_five_wrong_codes_lock_the_code_even_against_the_right_one(at_noon):
    ctx = at_noon
    code = sms.request_code(ctx, phone="13900000001").shown_code
    wrong = "000000" if code != "000000" else "111111"
    messages = []
    for _ in range(sms.MAX_ATTEMPTS):
        with pytest.raises(Invalid) as refused:
            sms.check_code(ctx, phone="13900000001", code=wrong)
        messages.append(refused.value.errors[0].message)
    assert messages == [sms.WRONG_CODE] * (sms.MAX_ATTEMPTS - 1) + [sms.TOO_MANY_ATTEMPTS]
    with pytest.raises(Invalid, match="too many"):
        sms.check_code(ctx, phone="13900000001", code=code)


def test_a_new_code_waits_a_minute_and_at_most_five_an_hour(at_noon):
    ctx = at_noon
    first = sms.request_code(ctx, phone="13900000001").shown_code
    with pytest.raises(Conflict, match="less than a minute"):
        sms.request_code(ctx, phone="13900000001")
    for minute in range(1, sms.MAX_PER_HOUR):
        ctx.clock.move_to(NOON + timedelta(minutes=minute))
        latest = sms.request_code(ctx, phone="13900000001").shown_code
    if first != latest:  # only the latest code counts
        with pytest.raises(Invalid):
            sms.check_code(ctx, phone="13900000001", code=first)
    assert sms.check_code(ctx, phone="13900000001", code=latest) == "13900000001"
    ctx.clock.move_to(NOON + timedelta(minutes=30))
    with pytest.raises(Conflict, match="an hour"):
        sms.request_code(ctx, phone="13900000001")
    ctx.clock.move_to(NOON + timedelta(hours=1, minutes=1))
    assert sms.request_code(ctx, phone="13900000001").shown_code


def test_a_registered_or_malformed_phone_gets_no_code(at_noon):
    ctx = at_noon
    members.register_member(ctx, phone="13900000001")
    with pytest.raises(Conflict) as known:
        sms.request_code(ctx, phone="13900000001")
    assert [(e.field, e.message) for e in known.value.errors] == [("phone", sms.ALREADY_REGISTERED)]
    with pytest.raises(Invalid) as malformed:
        sms.request_code(ctx, phone="12345")
    assert malformed.value.errors[0].field == "phone"
    with ctx.db.read() as conn:
        assert conn.execute(select(sms_codes)).all() == []


SENT: list[tuple[str, str]] = []


class RecordingProvider:
    """A provider as EVPERKS_SMS_PROVIDER names one: built from the settings, it records what it sends."""

    name = "recording"

    def __init__(self, settings) -> None:
        self.settings = settings

    def send_code(self, *, phone: str, code: str) -> None:
        SENT.append((phone, code))


def test_outside_sandbox_a_code_goes_through_the_configured_provider_and_is_never_shown(ctx):
    def outside_sandbox(**settings):
        return type(ctx)(db=ctx.db, clock=ctx.clock,
                         settings=ctx.settings.model_copy(update={"sandbox": False, **settings}))

    with pytest.raises(sms.SmsUnavailable):
        sms.request_code(outside_sandbox(), phone="13900000001")
    SENT.clear()
    configured = outside_sandbox(sms_provider=f"{__name__}:RecordingProvider")
    result = sms.request_code(configured, phone="13900000001")
    assert result.shown_code is None and result.provider == "recording"
    assert [phone for phone, _ in SENT] == ["13900000001"]
    assert sms.check_code(configured, phone="13900000001", code=SENT[0][1]) == "13900000001"


def test_twenty_parallel_guesses_get_only_five_comparisons(at_noon):
    ctx = at_noon
    sent = sms.request_code(ctx, phone="13900000009")
    wrong = "000000" if sent.shown_code != "000000" else "111111"

    def guess(_):
        try:
            sms.check_code(ctx, phone="13900000009", code=wrong)
        except Invalid as exc:
            return exc.errors[0].message

    with ThreadPoolExecutor(max_workers=10) as pool:
        refusals = Counter(pool.map(guess, range(20)))
    assert refusals == {sms.WRONG_CODE: sms.MAX_ATTEMPTS - 1, sms.TOO_MANY_ATTEMPTS: 20 - (sms.MAX_ATTEMPTS - 1)}
    with pytest.raises(Invalid):
        sms.check_code(ctx, phone="13900000009", code=sent.shown_code)
    with ctx.db.read() as conn:
        assert conn.execute(select(sms_codes.c.attempts)).scalar_one() == sms.MAX_ATTEMPTS


def test_a_misnamed_provider_stops_the_application_at_start(ctx):
    settings = ctx.settings.model_copy(update={"sandbox": False, "sms_provider": "no_such_module:Sms"})
    with pytest.raises(ValueError, match="EVPERKS_SMS_PROVIDER='no_such_module:Sms' cannot be loaded"):
        create_app(ctx=type(ctx)(db=ctx.db, clock=ctx.clock, settings=settings))
