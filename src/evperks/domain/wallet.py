"""Stored value (储值): which recharge amounts the settings allow, and how much a wallet pays.

Pure rules: no IO, money in integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def settings_problems(rules: StoredValueRules) -> list[tuple[str, str]]:
    """Every field of ``rules`` that is wrong, with why; empty when the settings can be saved."""
    problems: list[tuple[str, str]] = []
    if rules.min_recharge_fen <= 0:
        problems.append(("min_recharge_fen", "must be greater than 0"))
    denominations = rules.denominations_fen
    if any(d <= 0 for d in denominations):
        problems.append(("denominations_fen", "every denomination must be greater than 0"))
    elif len(set(denominations)) != len(denominations):
        problems.append(("denominations_fen", "denominations must be distinct"))
    elif any(d < rules.min_recharge_fen for d in denominations):
        problems.append(("denominations_fen", "every denomination must be at least min_recharge_fen"))
    if len(denominations) > MAX_DENOMINATIONS:
        problems.append(("denominations_fen", f"at most {MAX_DENOMINATIONS} denominations"))
    if not denominations and not rules.allow_custom_amount:
        problems.append(("denominations_fen", "at least one denomination is needed when custom amounts are not allowed"))
    return problems


def recharge_refusal(rules: StoredValueRules, amount_fen: int) -> str | None:
    """Why ``amount_fen`` cannot be recharged under ``rules``; None when it can."""
    if amount_fen in rules.denominations_fen:
        return None
    if not rules.allow_custom_amount:
        offered = ", ".join(str(d) for d in sorted(rules.denominations_fen))
        return f"must be one of the denominations: {offered}"
    if amount_fen < rules.min_recharge_fen:
        return f"must be at least {rules.min_recharge_fen} (the minimum recharge)"
    return None


def wallet_payment_fen(balance_fen: int, due_fen: int) -> int:
    """What the wallet pays of a bill: all it can, never more than is due, never below zero."""
    return max(0, min(balance_fen, due_fen))


def yuan(fen: int) -> str:
    """'100.00' for 10000 fen: exact, for display."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
