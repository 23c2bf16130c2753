"""Binding members to a campaign (绑定会员): by ids, or every result of a member search at once.

Binding by search is one ``INSERT … SELECT`` whatever the number of members, in registration order;
the binding id is the binding order a one-time grant follows. Binding is open on drafts and scheduled
campaigns, on active referral and consumption campaigns, and on an active one-time grant until its
``issue_at``. Registration and recharge campaigns do not use members and refuse binding.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, delete, func, literal, select

from evperks.db.tables import campaign_members, campaigns, members
from evperks.db.upsert import insert_for
from evperks.domain.campaigns import Campaign
from evperks.services import audit
from evperks.services.campaigns import store
from evperks.services.campaigns.refusals import error
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.member_search import MemberFilter
from evperks.services.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from evperks.services.results import Result, result

_CHUNK = 1000  # rows per INSERT when binding by ids (SQLite's bound-parameter limit)
AUDITED_IDS = 200


@result
class Bound(Result):
    bound: int  # newly bound
    total: int  # bound now


@result
class Unbound(Result):
    unbound: int
    total: int


@result
class BoundMember(Result):
    member_id: str
    phone: str
    nickname: str
    bound_at: datetime


@result
class BoundPage(Result):
    items: list[BoundMember]
    next_cursor: str | None


def bind_members(ctx: Context, campaign_id: int, *, member_ids: list[str] | None = None,
                 flt: MemberFilter | None = None, actor: str = "system") -> Bound:
    """Bind the given members, or everyone ``flt`` finds; ``{bound: newly bound, total: bound now}``.
    Unknown ids are refused by name and nothing is bound."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        _check_open(conn, campaign_id, now)
        if flt is not None:
            bound = _bind_search(conn, campaign_id, flt, now)
        else:
            bound = _bind_ids(conn, campaign_id, list(dict.fromkeys(member_ids or [])), now)
        outcome = Bound(bound=bound, total=_count(conn, campaign_id))
        which = {"filter": asdict(flt)} if flt is not None else {"member_ids": _sample(member_ids or [])}
        audit.record(conn, actor=actor, action="bind_members", target_type="campaign", target_id=campaign_id,
                     before=None, after={**which, **outcome.as_dict()}, at=now)
        return outcome


def _sample(member_ids: list[str]) -> list[str]:
    """The ids an audit row names: all of a hand-picked selection, the first of a huge one."""
    return member_ids[:AUDITED_IDS] + ([f"… {len(member_ids) - AUDITED_IDS} more"] if len(member_ids) > AUDITED_IDS else [])


def unbind_members(ctx: Context, campaign_id: int, *, member_ids: list[str], actor: str = "system") -> Unbound:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        _check_open(conn, campaign_id, now)
        removed = conn.execute(
            delete(campaign_members).where(
                campaign_members.c.campaign_id == campaign_id, campaign_members.c.member_id.in_(set(member_ids))
            )
        ).rowcount
        outcome = Unbound(unbound=removed, total=_count(conn, campaign_id))
        audit.record(conn, actor=actor, action="unbind_members", target_type="campaign", target_id=campaign_id,
                     before=None, after={"member_ids": _sample(member_ids), **outcome.as_dict()}, at=now)
        return outcome


def list_bound(ctx: Context, campaign_id: int, *, limit: int = 50, cursor: str | None = None) -> BoundPage:
    """Bound members in binding order."""
    cm = campaign_members.c
    stmt = (
        select(cm.id, cm.member_id, cm.bound_at, members.c.phone, members.c.nickname)
        .join(members, members.c.id == cm.member_id)
        .where(cm.campaign_id == campaign_id)
    )
    if cursor:
        stmt = stmt.where(cm.id > decode_cursor(cursor, (int,))[0])
    limit = min(limit, MAX_LIMIT)
    with ctx.db.read() as conn:
        if conn.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id)).first() is None:
            raise store.not_found(campaign_id)
        rows = conn.execute(stmt.order_by(cm.id).limit(limit + 1)).all()
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    items = [BoundMember(member_id=r.member_id, phone=r.phone, nickname=r.nickname, bound_at=r.bound_at)
             for r in rows[:limit]]
    return BoundPage(items=items, next_cursor=next_cursor)


def _check_open(conn: Connection, campaign_id: int, now: datetime) -> None:
    """Lock the campaign row (bindings of one campaign run one at a time) and refuse a closed one."""
    campaign = Campaign.from_row(store.read_row(conn, campaign_id, lock=True))
    if refusal := campaign.members_refusal(CAMPAIGN_TYPES[campaign.type], now):
        raise error(Conflict, refusal)


def _bind_search(conn: Connection, campaign_id: int, flt: MemberFilter, now: datetime) -> int:
    """One statement for any number of members, in registration order."""
    found = (
        select(literal(campaign_id), members.c.id, literal(now, campaign_members.c.bound_at.type))
        .where(flt.where())
        .order_by(members.c.registered_at, members.c.id)
    )
    statement = (
        insert_for(conn, campaign_members)
        .from_select(["campaign_id", "member_id", "bound_at"], found)
        .on_conflict_do_nothing(index_elements=["campaign_id", "member_id"])
    )
    return conn.execute(statement, execution_options={"preserve_rowcount": True}).rowcount


def _bind_ids(conn: Connection, campaign_id: int, member_ids: list[str], now: datetime) -> int:
    """In the order given; every id must name a member, or nothing is bound."""
    known: set[str] = set()
    for start in range(0, len(member_ids), _CHUNK):
        chunk = member_ids[start:start + _CHUNK]
        known |= set(conn.execute(select(members.c.id).where(members.c.id.in_(chunk))).scalars())
    unknown = [m for m in member_ids if m not in known]
    if unknown:
        shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
        raise Invalid("unknown member(s): %(shown)s", field="member_ids", code="campaign.unknown_members", shown=shown)
    bound = 0
    for start in range(0, len(member_ids), _CHUNK):
        rows = [{"campaign_id": campaign_id, "member_id": m, "bound_at": now} for m in member_ids[start:start + _CHUNK]]
        bound += conn.execute(
            insert_for(conn, campaign_members).values(rows).on_conflict_do_nothing(index_elements=["campaign_id", "member_id"]),
            execution_options={"preserve_rowcount": True},
        ).rowcount
    return bound


def _count(conn: Connection, campaign_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(campaign_members).where(campaign_members.c.campaign_id == campaign_id)
    ).scalar_one()
