"""Stored-value settings (储值设置): one row; the defaults of ``domain.wallet`` until it is saved."""

from __future__ import annotations

from datetime import datetime

from evperks.db.tables_wallet import stored_value_settings
from evperks.db.upsert import insert_for
from evperks.domain.wallet import DEFAULT_RULES, StoredValueRules, settings_problems
from evperks.services import audit_store
from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.services.wallet.results import StoredValueSettings
from evperks.services.wallet.store import rules_of, settings_row


def get_settings(ctx: Context) -> StoredValueSettings:
    with ctx.db.read() as conn:
        row = settings_row(conn)
    if row is None:
        return _out(DEFAULT_RULES, updated_at=None)
    return _out(rules_of(row), updated_at=row.updated_at)


def put_settings(ctx: Context, *, min_recharge_fen: int, denominations_fen: list[int], allow_custom_amount: bool,
                 actor: str = "system") -> StoredValueSettings:
    """Save the settings (denominations kept in ascending order); every wrong field is named (422)."""
    rules = StoredValueRules(min_recharge_fen, tuple(denominations_fen), allow_custom_amount)
    problems = settings_problems(rules)
    if problems:
        raise Invalid.fields(problems, "The stored-value settings are invalid: " + ", ".join(p.field for p in problems),
                             code="wallet.settings_invalid")
    rules = StoredValueRules(min_recharge_fen, tuple(sorted(denominations_fen)), allow_custom_amount)
    now = ctx.clock.now()
    values = {"min_recharge_fen": rules.min_recharge_fen, "denominations_fen": list(rules.denominations_fen),
              "allow_custom_amount": rules.allow_custom_amount, "updated_at": now}
    with ctx.db.write() as conn:
        row = settings_row(conn)
        before = _out(rules_of(row), updated_at=row.updated_at) if row else None
        stmt = insert_for(conn, stored_value_settings).values(id=1, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
        after = _out(rules, updated_at=now)
        audit_store.record_change(conn, actor=actor, action="update", target_type="stored_value_settings",
                                  target_id=1, before=before.as_dict() if before else None, after=after.as_dict(),
                                  at=now)
    return after


def _out(rules: StoredValueRules, *, updated_at: datetime | None) -> StoredValueSettings:
    return StoredValueSettings(min_recharge_fen=rules.min_recharge_fen, denominations_fen=list(rules.denominations_fen),
                               allow_custom_amount=rules.allow_custom_amount, updated_at=updated_at)
