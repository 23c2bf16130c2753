"""Stored-value settings (储值设置): one row; the defaults of ``domain.wallet`` until it is saved."""

from __future__ import annotations

from datetime import datetime

from evperks.db.tables_wallet import stored_value_settings
from evperks.db.upsert import insert_for
from evperks.domain.holds import DEFAULT_SESSION_RULES, SessionRules, session_rules_problems
from evperks.domain.wallet import DEFAULT_RULES, StoredValueRules, settings_problems
from evperks.services import audit_store
from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.services.wallet.results import StoredValueSettings
from evperks.services.wallet.store import rules_of, session_rules_of, settings_row


def get_settings(ctx: Context) -> StoredValueSettings:
    with ctx.db.read() as conn:
        row = settings_row(conn)
    return _saved(row)


def put_settings(ctx: Context, *, min_recharge_fen: int, denominations_fen: list[int], allow_custom_amount: bool,
                 min_start_balance_fen: int | None = None, hold_hours: int | None = None,
                 actor: str = "system") -> StoredValueSettings:
    """Save the settings (denominations kept in ascending order); every wrong field is named (422).
    ``min_start_balance_fen`` and ``hold_hours`` left out keep what is saved (the defaults 0 and 24)."""
    rules = StoredValueRules(min_recharge_fen, tuple(denominations_fen), allow_custom_amount)
    given = SessionRules(0 if min_start_balance_fen is None else min_start_balance_fen,
                         1 if hold_hours is None else hold_hours)
    problems = settings_problems(rules) + session_rules_problems(given)
    if problems:
        raise Invalid.fields(problems, "The stored-value settings are invalid: " + ", ".join(p.field for p in problems),
                             code="wallet.settings_invalid")
    rules = StoredValueRules(min_recharge_fen, tuple(sorted(denominations_fen)), allow_custom_amount)
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        row = settings_row(conn)
        before = _saved(row) if row else None
        kept = DEFAULT_SESSION_RULES if row is None else session_rules_of(row)
        sessions = SessionRules(kept.min_start_balance_fen if min_start_balance_fen is None else min_start_balance_fen,
                                kept.hold_hours if hold_hours is None else hold_hours)
        values = {"min_recharge_fen": rules.min_recharge_fen, "denominations_fen": list(rules.denominations_fen),
                  "allow_custom_amount": rules.allow_custom_amount, "min_start_balance_fen": sessions.min_start_balance_fen,
                  "hold_hours": sessions.hold_hours, "updated_at": now}
        stmt = insert_for(conn, stored_value_settings).values(id=1, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
        after = _out(rules, sessions, updated_at=now)
        audit_store.record_change(conn, actor=actor, action="update", target_type="stored_value_settings",
                                  target_id=1, before=before.as_dict() if before else None, after=after.as_dict(),
                                  at=now)
    return after


def _saved(row) -> StoredValueSettings:
    if row is None:
        return _out(DEFAULT_RULES, DEFAULT_SESSION_RULES, updated_at=None)
    return _out(rules_of(row), session_rules_of(row), updated_at=row.updated_at)


def _out(rules: StoredValueRules, sessions: SessionRules, *, updated_at: datetime | None) -> StoredValueSettings:
    return StoredValueSettings(min_recharge_fen=rules.min_recharge_fen, denominations_fen=list(rules.denominations_fen),
                               allow_custom_amount=rules.allow_custom_amount,
                               min_start_balance_fen=sessions.min_start_balance_fen, hold_hours=sessions.hold_hours,
                               updated_at=updated_at)
