"""What the console and the H5 say for a refusal: its stable code → the msgid the catalogs translate,
filled from the refusal's params.

A page never translates a refusal's English ``message`` (the API's words, which may be reworded); it looks
the ``code`` up here. A msgid without a zh_CN translation is shown in English, as the page did before
codes. The campaigns' codes have their own table beside their pages (``web/admin/campaign_refusals.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from evperks.services.errors import Reason, ServiceError

Gettext = Callable[[str], str]

# Codes of the console forms' own parsers (web/forms.py and the pages' form readers).
FORM: dict[str, str] = {
    "form.invalid": "Please correct the fields marked below.",
    "form.required": "Required",
    "form.too_long": "Too long",
    "form.character_not_allowed": "Contains a character that is not allowed",
    "form.not_yuan": "Enter an amount in yuan, e.g. 12.50",
    "form.not_kwh": "Enter a number of kWh",
    "form.not_a_number": "Enter a number, e.g. 1 or 0.5",
    "form.not_whole": "Enter a whole number",
    "form.not_positive": "Must be greater than 0",
    "form.negative": "May not be negative",
    "form.too_large": "Too large",
    "form.out_of_range": "Enter a whole number from %(low)s to %(high)s",
    "form.too_precise_yuan": "At most 2 decimals (fen)",
    "form.too_precise_kwh": "At most 3 decimals",
    "form.too_precise_rate": "At most 4 decimals",
    "form.not_datetime": "Enter a date and time",
    "form.not_date": "Enter a date",
    "form.not_an_option": "Choose one of the options",
    "form.digits_only": "Digits only",
    "form.end_before_start": "Must not be before the start",
    "form.end_not_after_start": "The end must be after the start",
    "station.id_characters": "Letters, digits and - . _ ~ * : @ ! $ ( ) , ; = only, and not . or .. alone",
    "station.id_taken": "A station with this id already exists",
    "member.not_found_by_id_or_phone": "No member has this id or phone number",
    "wallet.amount_not_chosen": "Choose an amount",
}

# Codes of the services and the domain (every refusal outside the campaigns).
SERVICES: dict[str, str] = {
    "access.password_too_short": "must be at least 8 characters",
    "access.role_unknown": "role must be one of %(roles)s",
    "access.username_length": "must be 1 to 64 characters",
    "access.username_taken": "admin user %(username)r already exists",
    "cursor.invalid": "not a cursor returned by this list",
    "energy.negative": "may not be negative",
    "energy.not_a_number": "must be a number of kWh",
    "energy.too_large": "may not exceed 1000000 kWh",
    "energy.too_precise": "has at most 3 decimals",
    "mall.end_before_start": "must be after start_at",
    "mall.exchange_no_reused": "this exchange_no was already used with different content",
    "mall.item_invalid": "The mall item is invalid",
    "mall.item_not_found": "mall item %(id)s does not exist",
    "mall.item_unavailable": "the item cannot be exchanged now (disabled or outside its window)",
    "mall.limit_not_positive": "must be at least 1, or empty for no limit",
    "mall.limit_reached": "the member has reached this item's limit of %(limit)s",
    "mall.name_length": "must be 1 to %(max)s characters",
    "mall.out_of_stock": "the item is out of stock",
    "mall.points_not_enough": "the item costs %(price)s points; the member has %(available)s available",
    "mall.price_not_positive": "must be greater than 0",
    "mall.reward_unissuable": "a voucher template of this item can no longer be issued",
    "mall.stock_below_exchanged": "must be at least %(exchanged)s, the number already exchanged",
    "mall.stock_out_of_range": "must be from 0 to %(max)s",
    "mall.template_disabled": "voucher template %(id)s is disabled",
    "mall.template_missing": "voucher template %(id)s does not exist",
    "mall.template_window_closed": "voucher template %(id)s's validity window has ended",
    "member.field_not_editable": "cannot be changed",
    "member.id_taken": "a member with this id already exists",
    "member.invite_code_unknown": "no member has this invite code",
    "member.not_found": "member %(id)r does not exist",
    "member.openid_taken": "another member has this wechat_openid",
    "member.phone_registered": "this phone number is already registered",
    "member.unknown": "no member has this id",
    "message.not_own": "not messages of this member: %(ids)s",
    "order.not_found": "charge order %(order_no)r does not exist",
    "phone.invalid": "must be an 11-digit mainland China mobile number starting with 13–19",
    "points.balance_negative": "the points balance may not go negative",
    "points.changed_meanwhile": "the member's points changed meanwhile",
    "points.expiry_field_missing": "is required for rule %(rule)s",
    "points.expiry_field_unknown": "is not a field of rule %(rule)s",
    "points.expiry_day_not_in_month": "month %(month)s has no day %(day)s",
    "points.expiry_day_unknown": "no month has a day %(day)s: enter 1 to 31",
    "points.expiry_month_unknown": "there is no month %(month)s: enter 1 to 12",
    "points.expiry_months_range": "must be from 1 to %(high)s months",
    "points.expiry_not_whole": "must be a whole number",
    "points.expiry_years_range": "must be from 1 to %(high)s years",
    "points.expiry_rule_unknown": "must be one of never, yearly, monthly, per_grant",
    "points.grant_time_without_grant": "only a grant (points > 0) has a grant time",
    "points.max_below_min": "must not be below min_points",
    "refund.amount_negative": "may not be negative",
    "refund.amount_zero": "must be greater than 0 (omit it to refund all that is left)",
    "refund.changed_meanwhile": "the order's refunds changed meanwhile",
    "refund.order_refunded": "the order is already refunded in full",
    "refund.refund_no_reused": "this refund_no was already used with different content",
    "refund.too_much": "only %(left)s fen of the order can still be refunded",
    "points.not_enough": "the member does not have that many valid points",
    "points.reminder_days_range": "must be from 0 to 365",
    "points.zero": "must not be zero",
    "reason.required": "a reason is required",
    "readiness.database_unreachable": "The database does not answer",
    "readiness.migrations_behind": "The database schema is at %(revision)s, this version needs %(wanted)s: "
                                   "run `evperks migrate`",
    "recharge.already_paid": "the recharge is paid; refund the wallet instead",
    "recharge.amount_differs": "the recharge is for %(expected)s fen, not %(given)s",
    "recharge.cancelled": "the recharge was cancelled",
    "recharge.no_longer_pending": "the recharge is no longer pending",
    "recharge.not_found": "recharge %(order_no)r does not exist",
    "recharge.not_pending": "the recharge is %(status)s",
    "recharge.order_no_reused": "this order_no was already used with different content",
    "recharge.paid_at_provider": "the recharge was paid at WeChat Pay; refund the wallet instead",
    "recharge.paid_by_another_transaction": "the recharge was already paid by another provider transaction",
    "recharge.transaction_reused": "this provider transaction already paid another recharge",
    "refund.exceeds_recharge": "the recharge has %(left)s fen left to refund",
    "refund.not_a_paid_recharge": "is not a paid WeChat Pay recharge of this member",
    "refund.no_recharge_covers_amount": "no paid WeChat Pay recharge of this member has this much left to refund; "
                                        "split the refund or name the recharge (order_no)",
    "refund.not_found": "refund %(refund_no)r does not exist",
    "secret.from_environment": "%(variable)s is set, so the database's %(name)s secret is not used: "
                               "rotate it by changing %(variable)s on every node",
    "secret.not_found": "no secret is named %(name)r; the secrets are %(known)s",
    "secret.rotated_meanwhile": "another rotation of %(name)s ran at the same moment; nothing changed",
    "settlement.order_no_reused": "this order_no was already settled with different content",
    "settlement.session_too_long": "the session may last at most %(hours)s hours (EVPERKS_MAX_SESSION_HOURS)",
    "settlement.start_after_end": "must not be after end_time",
    "session.balance_below_minimum":
        "the available balance of %(available)s fen is below the %(minimum)s fen needed to start charging",
    "session.balance_changed": "the available balance changed meanwhile",
    "session.cancelled": "the session is cancelled and can no longer be settled",
    "session.closed_meanwhile": "the session was closed meanwhile",
    "session.end_before_start": "must not be before the session's start",
    "session.hold_exceeds_available": "exceeds the available balance of %(available)s fen",
    "session.hold_without_wallet": "only a session that uses the wallet holds wallet money",
    "session.holds_out_of_step": "the member's holds do not match the session",
    "session.id_reused": "this session_id was already used with different content",
    "session.not_found": "charge session %(session_id)r does not exist",
    "session.settled": "the session is settled and can no longer be cancelled",
    "session.settled_differently": "the session was already settled with different content",
    "sms.hourly_limit": "too many codes requested for this phone: try again in an hour",
    "sms.no_code": "request a verification code first",
    "sms.send_failed": "the SMS could not be sent: try again later",
    "sms.too_many_attempts": "too many wrong codes: request a new code",
    "sms.too_soon": "a code was sent less than a minute ago: wait before requesting another",
    "sms.unavailable": "no SMS provider is configured",
    "sms.wrong_code": "the verification code is wrong or has expired",
    "station.not_found": "station %(id)r does not exist",
    "station.unknown": "unknown station(s): %(ids)s",
    "station.unknown_id": "no station has this id",
    "time.in_future": "may not lie in the future",
    "voucher.already_revoked": "the voucher is revoked and can no longer be revoked",
    "voucher.already_used": "the voucher is used and can no longer be revoked",
    "voucher.expired": "the order ended after the voucher expired",
    "voucher.face_value_not_positive": "must be greater than 0",
    "voucher.face_value_required": "is required for an amount voucher",
    "voucher.face_value_for_percent": "a percent voucher has no face value (cap it with max_deduction_fen)",
    "voucher.percent_field_for_amount": "only a percent voucher takes this",
    "voucher.percent_required": "is required for a percent voucher",
    "voucher.percent_range": "must be a whole number from 1 to 99",
    "voucher.cap_not_positive": "must be greater than 0",
    "voucher.hours_too_many": "at most %(max)s ranges",
    "voucher.hours_format": "must be a time HH:MM",
    "voucher.hours_empty": "must differ from the start (a range may wrap midnight, as 23:00–07:00)",
    "voucher.weekdays_range": "must be distinct ISO weekdays from 1 (Monday) to 7 (Sunday)",
    "voucher.outside_usable_hours": "the order started outside the voucher's usable hours",
    "voucher.outside_usable_weekdays": "the order started on a weekday the voucher cannot be used",
    "voucher.held": "the voucher is held by an open charge session",
    "voucher.min_spend_negative": "must not be negative",
    "voucher.min_spend_not_reached": "the order does not reach the voucher's minimum spend",
    "voucher.name_length": "must be 1 to 100 characters",
    "voucher.name_taken": "Another voucher template (%(id)s) is already named %(name)s",
    "voucher.not_found": "voucher %(id)s does not exist",
    "voucher.not_owned": "this member has no such voucher",
    "voucher.not_spendable": "the voucher is %(status)s",
    "voucher.not_yet_valid": "the order ended before the voucher's validity starts",
    "voucher.nothing_to_deduct": "the order has nothing this voucher could deduct",
    "voucher.template_disabled": "the template is disabled",
    "voucher.template_field_locked": "cannot change while a campaign uses the template",
    "voucher.template_in_use": "the template is used by a campaign: only its name and enabled flag can change",
    "voucher.template_invalid": "The voucher template is invalid",
    "voucher.template_missing": "voucher template %(id)s does not exist",
    "voucher.template_not_found": "voucher template %(id)s does not exist",
    "voucher.template_window_ended": "template %(id)s's validity window has ended",
    "voucher.used_meanwhile": "the voucher was used by another order",
    "voucher.validity_days_range": "must be from 1 to %(max)s",
    "voucher.window_end_before_start": "must be after the start",
    "voucher.window_ended": "the validity window has already ended",
    "voucher.wrong_station": "the voucher is not valid at this station",
    "wallet.amount_below_minimum": "must be at least %(min)s (the minimum recharge)",
    "wallet.amount_not_offered": "must be one of the denominations: %(offered)s",
    "wallet.amount_not_positive": "must be greater than 0",
    "wallet.balance_changed": "the wallet balance changed during settlement",
    "wallet.balance_exceeded": "exceeds the wallet balance of %(balance)s fen",
    "wallet.denomination_below_minimum": "every denomination must be at least min_recharge_fen",
    "wallet.denomination_not_positive": "every denomination must be greater than 0",
    "wallet.denominations_missing": "at least one denomination is needed when custom amounts are not allowed",
    "wallet.denominations_repeated": "denominations must be distinct",
    "wallet.hold_hours_range": "must be a whole number of hours from 1 to %(max)s",
    "wallet.min_recharge_not_positive": "must be greater than 0",
    "wallet.min_start_balance_negative": "must not be negative",
    "wallet.refund_no_reused": "this refund_no was already used with different content",
    "wallet.settings_invalid": "The stored-value settings are invalid",
    "wallet.too_many_denominations": "at most %(max)s denominations",
    "wechat_pay.failed": "WeChat Pay: %(error)s",
    "wechat_pay.not_configured": "WeChat Pay is not configured: %(missing)s",
}

GENERAL: dict[str, str] = {**FORM, **SERVICES}
MESSAGES: dict[str, str] = {**GENERAL}


def say(reason: Reason, gettext: Gettext) -> str:
    """The reader's-language text of one refusal."""
    return _text(reason.code, reason.params, reason.message, gettext)


def say_error(exc: ServiceError, gettext: Gettext) -> str:
    """The reader's-language text of a refusal as a whole (its ``detail``), for the top of a page."""
    return _text(exc.code, exc.params, exc.detail, gettext)


def say_code(code: str, gettext: Gettext, **params: object) -> str:
    """The reader's-language text of a refusal a page makes itself (it has no exception to show)."""
    return _text(code, params, code, gettext)


def _text(code: str | None, params: Mapping[str, object], message: str, gettext: Gettext) -> str:
    msgid = MESSAGES.get(code) if code else None
    if msgid is None:  # a code without a line here (a test keeps this from happening): the API's English
        return message
    text = gettext(msgid)
    return text % params if params else text
