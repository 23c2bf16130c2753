"""Binding members to a campaign (绑定会员): by ids, or every result of a member search at once.

Binding by search is one ``INSERT … SELECT`` whatever the number of members, in registration order;
the binding id is the binding order a one-time grant follows. Binding is open on drafts and scheduled
campaigns, on active referral and consumption campaigns, and on an active one-time grant until its
``issue_at``. Registration and recharge campaigns do not use members and refuse binding.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection

from evperks.db.tables import campaign_members
from evperks.domain.campaigns import Campaign
from evperks.services import audit_store
from evperks.services.campaigns import store, store_members
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.member_search import MemberFilter
from evperks.services.pagination import MAX_LIMIT, NumberedPage, numbered
from evperks.services.results import Result, result

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


@result
class SearchBinding(Result):
    bound_ids: list[str]  # of the members asked about, those bound
    found_bound: int  # of everyone the search finds, how many are bound


def bind_members(ctx: Context, campaign_id: int, *, member_ids: list[str] | None = None,
                 flt: MemberFilter | None = None, actor: str = "system") -> Bound:
    """Bind the given members, or everyone ``flt`` finds; ``{bound: newly bound, total: bound now}``.
    Unknown ids are refused by name and nothing is bound."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        _check_open(conn, campaign_id, now)
        if flt is not None:
            bound = store_members.bind_found(conn, campaign_id, flt, now=now)
        else:
            bound = _bind_ids(conn, campaign_id, list(dict.fromkeys(member_ids or [])), now)
        outcome = Bound(bound=bound, total=store_members.count(conn, campaign_id))
        which = {"filter": asdict(flt)} if flt is not None else {"member_ids": _sample(member_ids or [])}
        if bound:  # binding members already bound changed nothing
            audit_store.record(conn, actor=actor, action="bind_members", target_type="campaign",
                               target_id=campaign_id, before=None, after={**which, **outcome.as_dict()}, at=now)
        return outcome


def _sample(member_ids: list[str]) -> list[str]:
    """The ids an audit row names: all of a hand-picked selection, the first of a huge one."""
    return member_ids[:AUDITED_IDS] + ([f"… {len(member_ids) - AUDITED_IDS} more"] if len(member_ids) > AUDITED_IDS else [])


def unbind_members(ctx: Context, campaign_id: int, *, member_ids: list[str] | None = None,
                   flt: MemberFilter | None = None, everyone: bool = False, actor: str = "system") -> Unbound:
    """Unbind the given members, everyone ``flt`` finds, or (``everyone``) every bound member; set-based
    like binding. Ids that are not bound are ignored: ``unbound`` counts the bindings removed."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        _check_open(conn, campaign_id, now)
        if flt is not None or everyone:
            removed = store_members.unbind_found(conn, campaign_id, flt)
            which: dict = {"filter": asdict(flt)} if flt is not None else {"all": True}
        else:
            removed = store_members.unbind(conn, campaign_id, member_ids or [])
            which = {"member_ids": _sample(member_ids or [])}
        outcome = Unbound(unbound=removed, total=store_members.count(conn, campaign_id))
        if removed:
            audit_store.record(conn, actor=actor, action="unbind_members", target_type="campaign",
                               target_id=campaign_id, before=None, after={**which, **outcome.as_dict()}, at=now)
        return outcome


def list_bound(ctx: Context, campaign_id: int, *, limit: int = 50, cursor: str | None = None) -> BoundPage:
    """Bound members in binding order."""
    with ctx.db.read() as conn:
        store.read_row(conn, campaign_id)  # NotFound for a campaign that does not exist
        rows, next_cursor = store_members.page(conn, campaign_id, limit=min(limit, MAX_LIMIT), cursor=cursor)
    return _bound_page(rows, next_cursor)


def _bound_page(rows, next_cursor: str | None) -> BoundPage:
    items = [BoundMember(member_id=r.member_id, phone=r.phone, nickname=r.nickname, bound_at=r.bound_at)
             for r in rows]
    return BoundPage(items=items, next_cursor=next_cursor)


def list_skipped(ctx: Context, campaign_id: int, *, limit: int = 50, cursor: str | None = None) -> BoundPage:
    """Bound members the campaign gave no package, in binding order: after a one-time grant, whom the
    packages did not reach (the budget ran out, or the campaign was stopped, before their turn)."""
    with ctx.db.read() as conn:
        store.read_row(conn, campaign_id)
        rows, next_cursor = store_members.page(conn, campaign_id, limit=limit, cursor=cursor, without_package=True)
    return _bound_page(rows, next_cursor)


def count_skipped(ctx: Context, campaign_id: int) -> int:
    with ctx.db.read() as conn:
        return store_members.count(conn, campaign_id, without_package=True)


def binding_open(ctx: Context, campaign) -> bool:
    """Whether the campaign's bound members may change now (the type's binding rule and its state): the
    console offers 绑定 and 解绑 only then, instead of offering them and refusing."""
    return Campaign.from_row(campaign).members_refusal(CAMPAIGN_TYPES[campaign["type"]], ctx.clock.now()) is None


def list_bound_numbered(ctx: Context, campaign_id: int, *, page: int, size: int) -> NumberedPage[BoundMember]:
    """The bound list of the console: page ``page`` in binding order, with the total."""
    with ctx.db.read() as conn:
        rows, counts = numbered(conn, store_members.bound_query(campaign_id), [campaign_members.c.id], page=page,
                                size=size)
    items = [BoundMember(member_id=r.member_id, phone=r.phone, nickname=r.nickname, bound_at=r.bound_at)
             for r in rows]
    return NumberedPage(items=items, **counts)


def search_binding(ctx: Context, campaign_id: int, flt: MemberFilter, member_ids: list[str]) -> SearchBinding:
    """For the 绑定会员 page: which of ``member_ids`` (the page shown) are bound, and how many of the
    members ``flt`` finds are."""
    with ctx.db.read() as conn:
        return SearchBinding(bound_ids=sorted(store_members.bound_among(conn, campaign_id, member_ids)),
                             found_bound=store_members.count_found(conn, campaign_id, flt))


def _check_open(conn: Connection, campaign_id: int, now: datetime) -> None:
    """Lock the campaign row (bindings of one campaign run one at a time) and refuse a closed one."""
    campaign = Campaign.from_row(store.read_row(conn, campaign_id, lock=True))
    if refusal := campaign.members_refusal(CAMPAIGN_TYPES[campaign.type], now):
        raise Conflict.because(refusal)


def _bind_ids(conn: Connection, campaign_id: int, member_ids: list[str], now: datetime) -> int:
    """In the order given; every id must name a member, or nothing is bound."""
    if unknown := store_members.unknown_ids(conn, member_ids):
        shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
        raise Invalid("unknown member(s): %(shown)s", field="member_ids", code="campaign.unknown_members", shown=shown)
    return store_members.bind_ids(conn, campaign_id, member_ids, now=now)
