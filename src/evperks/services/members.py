"""Members (会员): registration from the platform, reading, searching."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import member_tags, members
from evperks.domain.members import InvalidPhone, new_invite_code, normalize_mobile
from evperks.domain.units import wh_to_kwh_str
from evperks.services import audit
from evperks.services.campaigns.triggers import on_member_registered
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.member_search import MemberFilter
from evperks.services.pagination import MAX_LIMIT, after_desc, decode_cursor, page

_REGISTRATION_ATTEMPTS = 3  # a fresh invite code colliding is ~1e-6 even at 10^6 members


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
) -> dict:
    """A new member; the inviter is recorded when ``invite_code`` names one. A known phone is 409."""
    try:
        phone = normalize_mobile(phone)
    except InvalidPhone as exc:
        raise Invalid(str(exc), field="phone", code="phone.invalid") from exc
    now = ctx.clock.now()
    registered_at = registered_at or now
    if registered_at > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="registered_at", code="time.in_future")
    for attempt in range(_REGISTRATION_ATTEMPTS):
        try:
            with ctx.db.write() as conn:
                _refuse_known(conn, phone=phone, member_id=member_id)
                inviter = _inviter(conn, invite_code) if invite_code else None
                new_id = member_id or "m_" + secrets.token_hex(8)
                conn.execute(
                    insert(members).values(
                        id=new_id,
                        phone=phone,
                        nickname=nickname,
                        channel=channel,
                        registered_at=registered_at,
                        invited_by=inviter,
                        invite_code=new_invite_code(),
                        created_at=now,
                    )
                )
                if tags:
                    conn.execute(insert(member_tags), [{"member_id": new_id, "tag": t} for t in sorted(set(tags))])
                on_member_registered(conn, ctx, member_id=new_id, registered_at=registered_at, now=now)  # registration campaigns (注册活动)
                return _read(conn, new_id)
        except IntegrityError:
            # A parallel registration of the same phone or id won the race, or (rarely) the invite
            # code collided; the next attempt tells which, and reports it as a 409.
            if attempt == _REGISTRATION_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


EDITABLE = ("phone", "nickname", "tags", "wechat_openid")


def update_member(ctx: Context, member_id: str, changes: dict, *, actor: str = "api") -> dict:
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
    try:
        with ctx.db.write() as conn:
            before = _read(conn, member_id)
            _refuse_taken(conn, member_id, values)
            if values:
                conn.execute(update(members).where(members.c.id == member_id).values(**values))
            if "tags" in changes:
                conn.execute(delete(member_tags).where(member_tags.c.member_id == member_id))
                if changes["tags"]:
                    conn.execute(insert(member_tags),
                                 [{"member_id": member_id, "tag": t} for t in sorted(set(changes["tags"]))])
            after = _read(conn, member_id)
            if _editable(before) != _editable(after):
                audit.record(conn, actor=actor, action="update", target_type="member", target_id=member_id,
                             before=_editable(before), after=_editable(after), at=now)
            return after
    except IntegrityError:
        # A parallel change took the phone or openid between our check and our write: say which.
        with ctx.db.read() as conn:
            _refuse_taken(conn, member_id, values)
        raise


def _refuse_taken(conn: Connection, member_id: str, values: dict) -> None:
    for field, code, message in (("phone", "member.phone_registered", "this phone number is already registered"),
                                 ("wechat_openid", "member.openid_taken", "another member has this wechat_openid")):
        if values.get(field) is not None and conn.execute(
            select(members.c.id).where(members.c[field] == values[field], members.c.id != member_id)
        ).first():
            raise Conflict(message, field=field, code=code)


def _editable(member: dict) -> dict:
    return {k: member[k] for k in EDITABLE}


def get_member(ctx: Context, member_id: str) -> dict:
    with ctx.db.read() as conn:
        return _read(conn, member_id)


def search_members(ctx: Context, flt: MemberFilter, *, limit: int = 50, cursor: str | None = None) -> dict:
    """Members matching ``flt``, newest registration first."""
    order = [members.c.registered_at, members.c.id]
    stmt = select(members).where(flt.where())
    if cursor:
        stmt = stmt.where(after_desc(order, decode_cursor(cursor, (datetime, str))))
    with ctx.db.read() as conn:
        rows = conn.execute(stmt.order_by(*(c.desc() for c in order)).limit(min(limit, MAX_LIMIT) + 1)).all()
        rows, next_cursor = page(rows, limit, lambda r: [r.registered_at, r.id])
        tags = _tags_of(conn, [r.id for r in rows])
    return {"items": [member_out(r, tags.get(r.id, [])) for r in rows], "next_cursor": next_cursor}


def _refuse_known(conn: Connection, *, phone: str, member_id: str | None) -> None:
    if conn.execute(select(members.c.id).where(members.c.phone == phone)).first():
        raise Conflict("this phone number is already registered", field="phone", code="member.phone_registered")
    if member_id and conn.execute(select(members.c.id).where(members.c.id == member_id)).first():
        raise Conflict("a member with this id already exists", field="id", code="member.id_taken")


def _inviter(conn: Connection, invite_code: str) -> str:
    inviter = conn.execute(
        select(members.c.id).where(members.c.invite_code == invite_code.strip().upper())
    ).scalar_one_or_none()
    if inviter is None:
        raise Invalid("no member has this invite code", field="invite_code", code="member.invite_code_unknown")
    return inviter


def _read(conn: Connection, member_id: str) -> dict:
    row = conn.execute(select(members).where(members.c.id == member_id)).first()
    if row is None:
        raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
    return member_out(row, _tags_of(conn, [member_id]).get(member_id, []))


def _tags_of(conn: Connection, member_ids: list[str]) -> dict[str, list[str]]:
    if not member_ids:
        return {}
    result: dict[str, list[str]] = {}
    rows = conn.execute(
        select(member_tags.c.member_id, member_tags.c.tag)
        .where(member_tags.c.member_id.in_(member_ids))
        .order_by(member_tags.c.tag)
    )
    for member_id, tag in rows:
        result.setdefault(member_id, []).append(tag)
    return result


def member_out(row, tags: list[str]) -> dict:
    return {
        "id": row.id,
        "phone": row.phone,
        "nickname": row.nickname,
        "channel": row.channel,
        "registered_at": row.registered_at,
        "invite_code": row.invite_code,
        "invited_by": row.invited_by,
        "tags": tags,
        "charge_count": row.charge_count,
        "total_energy_kwh": wh_to_kwh_str(row.total_wh),
        "total_paid_fen": row.total_paid_fen,
        "last_charge_at": row.last_charge_at,
        "wallet_balance_fen": row.wallet_balance_fen,
        "points_balance": row.points_balance,
        "wechat_openid": row.wechat_openid,
    }


