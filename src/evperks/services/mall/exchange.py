"""兑换: a member spends points on a mall item and receives its vouchers, in one transaction.

Under the member's row lock (as settlement takes it): a repeat of the exchange_no returns the stored
answer; the item's rules are checked (domain.mall.refusal) for a clear refusal; then the per-member count
(one guarded upsert), the points (spent like a redemption: the lots that expire first), the vouchers
(all or none) and last the stock (one guarded UPDATE, so the item's hot row is locked the shortest
time). Any refusal raises, and the transaction rolls back whole: a refused exchange changes nothing.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import members
from evperks.domain import mall as rules
from evperks.services.campaigns.issue import Unissuable
from evperks.services.context import Context
from evperks.services.errors import Conflict
from evperks.services.lookups import lock_member, require_member
from evperks.services.mall import store
from evperks.services.mall.results import Exchange
from evperks.services.points import store as points_store

LEDGER_KIND = "exchange"


def exchange(ctx: Context, *, member_id: str, exchange_no: str, item_id: int) -> tuple[Exchange, bool]:
    """The exchange's answer, and whether this call made it (False: a repeat of the same exchange_no)."""
    now = ctx.clock.now()
    fingerprint = _fingerprint(member_id, item_id)
    try:
        with ctx.db.write() as conn:
            lock_member(conn, member_id)
            if (replay := _replay(conn, exchange_no, fingerprint)) is not None:
                return replay, False
            item = store.item_row(conn, item_id, field="item_id")
            _refuse_unless_possible(conn, item, member_id, now)
            if not store.count_exchange(conn, item_id=item.id, member_id=member_id, limit=item.per_member_limit):
                raise _refused(rules.Refusal.LIMIT_REACHED, limit=item.per_member_limit)
            points_store.spend(conn, member_id=member_id, points=item.points_price, valid_after=now, now=now,
                               kind=LEDGER_KIND, ref=exchange_no, reason=item.name)
            voucher_ids = _issue(conn, ctx, item, member_id, exchange_no, now)
            if not store.take_one(conn, item.id, now):
                raise _refused(rules.Refusal.OUT_OF_STOCK)
            answer = Exchange(exchange_no=exchange_no, item_id=item.id, points_spent=item.points_price,
                              voucher_ids=voucher_ids)
            store.record_exchange(conn, exchange_no=exchange_no, member_id=member_id, item_id=item.id,
                                  points_spent=item.points_price, fingerprint=fingerprint, result=answer.as_dict(),
                                  now=now)
            return answer, True
    except IntegrityError:
        # Only a parallel exchange with the same exchange_no by another member gets here (one member's
        # requests queue on the member lock): answer it as the repeat or conflict it is.
        with ctx.db.read() as conn:
            replay = _replay(conn, exchange_no, fingerprint)
        if replay is None:
            raise
        return replay, False


def points_available(ctx: Context, member_id: str) -> int:
    """The points the member could spend on an exchange now (what the mall pages show)."""
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        return _available(conn, member_id, ctx.clock.now())


def _available(conn: Connection, member_id: str, now) -> int:
    """Valid points less what open charge sessions hold."""
    held = conn.execute(select(members.c.points_held).where(members.c.id == member_id)).scalar_one()
    return max(points_store.spendable_points(conn, member_id, valid_after=now) - held, 0)


def _refuse_unless_possible(conn: Connection, item, member_id: str, now) -> None:
    """The rules read under the member's lock, for a refusal that says why; the guarded statements
    that follow stay the truth when other members exchange meanwhile."""
    offer = rules.Offer(enabled=item.enabled, start_at=item.start_at, end_at=item.end_at, stock_left=item.stock_left,
                        per_member_limit=item.per_member_limit, points_price=item.points_price,
                        exchanged=store.exchanged_by(conn, member_id, [item.id]).get(item.id, 0),
                        points_available=_available(conn, member_id, now))
    if (refusal := rules.refusal(offer, now)) is not None:
        raise _refused(refusal, limit=item.per_member_limit, price=item.points_price, available=offer.points_available)


def _issue(conn: Connection, ctx: Context, item, member_id: str, exchange_no: str, now) -> list[int]:
    try:
        return store.issue_reward(conn, ctx, member_id=member_id, reward=item.reward, now=now,
                                  reason=f"{item.name} · {exchange_no}")
    except Unissuable as exc:
        raise Conflict("a voucher template of this item can no longer be issued", field="item_id",
                       code="mall.reward_unissuable") from exc


def _refused(refusal: rules.Refusal, **params) -> Conflict:
    message = rules.REFUSAL_MESSAGES[refusal]
    used = {name: value for name, value in params.items() if f"%({name})" in message}
    return Conflict(message, field="item_id", code=refusal.value, **used)


def _replay(conn: Connection, exchange_no: str, fingerprint: str) -> Exchange | None:
    row = store.stored_exchange(conn, exchange_no)
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Conflict("this exchange_no was already used with different content", field="exchange_no",
                       code="mall.exchange_no_reused")
    return Exchange(**row.result)


def _fingerprint(member_id: str, item_id: int) -> str:
    return hashlib.sha256(json.dumps([member_id, item_id]).encode()).hexdigest()
