"""Members (会员): registration from the platform, reading, searching."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from evperks.db.tables import members
from evperks.domain.campaign_events import MemberRegistered
from evperks.domain.members import InvalidPhone, normalize_mobile
from evperks.services import audit_store
from evperks.services.campaigns.react import react
from evperks.services.context import Context
from evperks.services.errors import Invalid
from evperks.services.member_search import MemberFilter
from evperks.services.members_store import (
    EDITABLE,
    Member,
    add_tags,
    change_member,
    insert_member,
    inviter_of,
    member_out,
    read_member,
    refuse_known,
    refuse_taken,
    replace_tags,
    tags_of,
)
from evperks.services.pagination import MAX_LIMIT, NumberedPage, Page, after_desc, decode_cursor, numbered, page


def register_member(
    ctx: Context,
    *,
    phone: str,
    member_id: str | None = None,
    nickname: str = "",
    channel: str = "",
    invite_code: str | None = None,
    registered_at: datetime | None = None,
    tags: tuple[str, ...] = (),
) -> Member:
    """A new member; the inviter is recorded when ``invite_code`` names one. A known phone is 409."""
    try:
        phone = normalize_mobile(phone)
    except InvalidPhone as exc:
        raise Invalid(str(exc), field="phone", code="phone.invalid") from exc
    now = ctx.clock.now()
    registered_at = registered_at or now
    if registered_at > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="registered_at", code="time.in_future")
    with ctx.db.write() as conn:
        refuse_known(conn, phone=phone, member_id=member_id)
        inviter = inviter_of(conn, invite_code) if invite_code else None
        new_id = member_id or "m_" + secrets.token_hex(8)
        insert_member(conn, {"id": new_id, "phone": phone, "nickname": nickname, "channel": channel,
                             "registered_at": registered_at, "invited_by": inviter, "created_at": now})
        add_tags(conn, new_id, tags)
        react(conn, ctx, MemberRegistered(new_id, registered_at=registered_at, at=now))  # registration campaigns (注册活动)
        return read_member(conn, new_id)


def update_member(ctx: Context, member_id: str, changes: dict, *, actor: str = "api") -> Member:
    """Change a member's phone, nickname, tags (replaced as a whole) or wechat_openid (None clears it);
    only the keys given change, and a change is audited. A phone or openid another member has is 409."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid("cannot be changed", field=sorted(unknown)[0], code="member.field_not_editable")
    values = {k: v for k, v in changes.items() if k != "tags"}
    if "phone" in values:
        try:
            values["phone"] = normalize_mobile(values["phone"])
        except InvalidPhone as exc:
            raise Invalid(str(exc), field="phone", code="phone.invalid") from exc
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        before = read_member(conn, member_id)
        refuse_taken(conn, member_id, values)
        if values:
            change_member(conn, member_id, values)
        if "tags" in changes:
            replace_tags(conn, member_id, changes["tags"] or ())
        after = read_member(conn, member_id)
        if before.editable() != after.editable():
            audit_store.record(conn, actor=actor, action="update", target_type="member", target_id=member_id,
                               before=before.editable(), after=after.editable(), at=now)
        return after


def get_member(ctx: Context, member_id: str) -> Member:
    with ctx.db.read() as conn:
        return read_member(conn, member_id)


def search_members(ctx: Context, flt: MemberFilter, *, limit: int = 50, cursor: str | None = None) -> Page[Member]:
    """Members matching ``flt``, newest registration first."""
    order = [members.c.registered_at, members.c.id]
    stmt = select(members).where(flt.where())
    if cursor:
        stmt = stmt.where(after_desc(order, decode_cursor(cursor, (datetime, str))))
    with ctx.db.read() as conn:
        rows = conn.execute(stmt.order_by(*(c.desc() for c in order)).limit(min(limit, MAX_LIMIT) + 1)).all()
        rows, next_cursor = page(rows, limit, lambda r: [r.registered_at, r.id])
        found = _with_tags(conn, rows)
    return Page(found, next_cursor)


def search_members_numbered(ctx: Context, flt: MemberFilter, *, page: int, size: int) -> NumberedPage[Member]:
    """Page ``page`` of the members matching ``flt`` (newest registration first), with the total."""
    with ctx.db.read() as conn:
        rows, counts = numbered(conn, select(members).where(flt.where()),
                                [members.c.registered_at.desc(), members.c.id.desc()], page=page, size=size)
        return NumberedPage(items=_with_tags(conn, rows), **counts)


def _with_tags(conn, rows) -> list[Member]:
    tags = tags_of(conn, [r.id for r in rows])
    return [member_out(r, tags.get(r.id, [])) for r in rows]

