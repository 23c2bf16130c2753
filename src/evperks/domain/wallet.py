"""Stored value (储值): which recharge amounts the settings allow, and how much a wallet pays.

Pure rules: no IO, money in integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass

from evperks.domain.reasons import Reason

MAX_DENOMINATIONS = 20


@dataclass(frozen=True)
class StoredValueRules:
    """最低充值金额, 固定面额 and whether a custom amount (≥ the minimum) may be recharged."""

    min_recharge_fen: int
    denominations_fen: tuple[int, ...]
    allow_custom_amount: bool


# Until an admin saves settings: 1 yuan minimum, the four usual tiles (50/100/200/500 yuan), custom allowed.
DEFAULT_RULES = StoredValueRules(min_recharge_fen=100, denominations_fen=(5000, 10000, 20000, 50000),
                                 allow_custom_amount=True)


def settings_problems(rules: StoredValueRules) -> list[Reason]:
    """Every field of ``rules`` that is wrong, with why; empty when the settings can be saved."""
    problems: list[Reason] = []
    if rules.min_recharge_fen <= 0:
        problems.append(Reason.of("min_recharge_fen", "wallet.min_recharge_not_positive", "must be greater than 0"))
    denominations = rules.denominations_fen
    if any(d <= 0 for d in denominations):
        problems.append(Reason.of("denominations_fen", "wallet.denomination_not_positive",
                                  "every denomination must be greater than 0"))
    elif len(set(denominations)) != len(denominations):
        problems.append(Reason.of("denominations_fen", "wallet.denominations_repeated", "denominations must be distinct"))
    elif any(d < rules.min_recharge_fen for d in denominations):
        problems.append(Reason.of("denominations_fen", "wallet.denomination_below_minimum",
                                  "every denomination must be at least min_recharge_fen"))
    if len(denominations) > MAX_DENOMINATIONS:
        problems.append(Reason.of("denominations_fen", "wallet.too_many_denominations", "at most %(max)s denominations",
                                  max=MAX_DENOMINATIONS))
    if not denominations and not rules.allow_custom_amount:
        problems.append(Reason.of("denominations_fen", "wallet.denominations_missing",
                                  "at least one denomination is needed when custom amounts are not allowed"))
    return problems


def recharge_refusal(rules: StoredValueRules, amount_fen: int) -> Reason | None:
    """Why ``amount_fen`` cannot be recharged under ``rules`` (a refusal of ``amount_fen``); None when it can."""
    if amount_fen in rules.denominations_fen:
        return None
    if not rules.allow_custom_amount:
        offered = ", ".join(str(d) for d in sorted(rules.denominations_fen))
        return Reason.of("amount_fen", "wallet.amount_not_offered", "must be one of the denominations: %(offered)s",
                         offered=offered)
    if amount_fen < rules.min_recharge_fen:
        return Reason.of("amount_fen", "wallet.amount_below_minimum", "must be at least %(min)s (the minimum recharge)",
                         min=rules.min_recharge_fen)
    return None


def wallet_payment_fen(balance_fen: int, due_fen: int) -> int:
    """What the wallet pays of a bill: all it can, never more than is due, never below zero."""
    return max(0, min(balance_fen, due_fen))


def yuan(fen: int) -> str:
    """'100.00' for 10000 fen: exact, for display."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
