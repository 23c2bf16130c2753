"""Members' rows, read and written in the caller's transaction (the use cases are in ``members``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import member_tags, members
from evperks.domain.holds import available
from evperks.domain.members import new_invite_code
from evperks.domain.units import wh_to_kwh_str
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.results import Result, result

EDITABLE = ("phone", "nickname", "tags", "wechat_openid")
_INVITE_CODE_ATTEMPTS = 3  # a fresh invite code colliding is ~1e-6 even at 10^6 members


@result
class Member(Result):
    id: str
    phone: str
    nickname: str
    channel: str
    registered_at: datetime
    invite_code: str
    invited_by: str | None
    tags: list[str]
    charge_count: int
    total_energy_kwh: str
    total_paid_fen: int
    last_charge_at: datetime | None
    wallet_balance_fen: int
    points_balance: int
    wallet_available_fen: int  # the balance less what open charge sessions hold
    points_available: int  # the points less what open charge sessions hold (never below 0)
    wechat_openid: str | None

    def editable(self) -> dict:
        """What ``update_member`` may change (what its audit row records)."""
        return {k: self[k] for k in EDITABLE}


def insert_member(conn: Connection, values: dict) -> None:
    """Insert a member with a fresh invite code. Each try runs in a savepoint: a parallel registration of
    the same phone or id that committed first is a 409, a (rare) invite code collision another try."""
    for attempt in range(_INVITE_CODE_ATTEMPTS):
        try:
            with conn.begin_nested():
                conn.execute(insert(members).values(**values, invite_code=new_invite_code()))
            return
        except IntegrityError:
            refuse_known(conn, phone=values["phone"], member_id=values["id"])
            if attempt == _INVITE_CODE_ATTEMPTS - 1:
                raise


def change_member(conn: Connection, member_id: str, values: dict) -> None:
    """Set ``values`` on the member's row, in a savepoint: when a parallel change took the phone or
    openid between our check and our write, say which (409)."""
    try:
        with conn.begin_nested():
            conn.execute(update(members).where(members.c.id == member_id).values(**values))
    except IntegrityError:
        refuse_taken(conn, member_id, values)
        raise


def replace_tags(conn: Connection, member_id: str, tags: list[str] | tuple[str, ...]) -> None:
    conn.execute(delete(member_tags).where(member_tags.c.member_id == member_id))
    add_tags(conn, member_id, tags)


def add_tags(conn: Connection, member_id: str, tags: list[str] | tuple[str, ...]) -> None:
    if tags:
        conn.execute(insert(member_tags), [{"member_id": member_id, "tag": t} for t in sorted(set(tags))])


def refuse_taken(conn: Connection, member_id: str, values: dict) -> None:
    for field, code, message in (("phone", "member.phone_registered", "this phone number is already registered"),
                                 ("wechat_openid", "member.openid_taken", "another member has this wechat_openid")):
        if values.get(field) is not None and conn.execute(
            select(members.c.id).where(members.c[field] == values[field], members.c.id != member_id)
        ).first():
            raise Conflict(message, field=field, code=code)


def refuse_known(conn: Connection, *, phone: str, member_id: str | None) -> None:
    if conn.execute(select(members.c.id).where(members.c.phone == phone)).first():
        raise Conflict("this phone number is already registered", field="phone", code="member.phone_registered")
    if member_id and conn.execute(select(members.c.id).where(members.c.id == member_id)).first():
        raise Conflict("a member with this id already exists", field="id", code="member.id_taken")


def inviter_of(conn: Connection, invite_code: str) -> str:
    inviter = conn.execute(
        select(members.c.id).where(members.c.invite_code == invite_code.strip().upper())
    ).scalar_one_or_none()
    if inviter is None:
        raise Invalid("no member has this invite code", field="invite_code", code="member.invite_code_unknown")
    return inviter


def read_member(conn: Connection, member_id: str) -> Member:
    row = conn.execute(select(members).where(members.c.id == member_id)).first()
    if row is None:
        raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
    return member_out(row, tags_of(conn, [member_id]).get(member_id, []))


def tags_of(conn: Connection, member_ids: list[str]) -> dict[str, list[str]]:
    if not member_ids:
        return {}
    found: dict[str, list[str]] = {}
    rows = conn.execute(
        select(member_tags.c.member_id, member_tags.c.tag)
        .where(member_tags.c.member_id.in_(member_ids))
        .order_by(member_tags.c.tag)
    )
    for member_id, tag in rows:
        found.setdefault(member_id, []).append(tag)
    return found


def member_out(row, tags: list[str]) -> Member:
    return Member(
        id=row.id,
        phone=row.phone,
        nickname=row.nickname,
        channel=row.channel,
        registered_at=row.registered_at,
        invite_code=row.invite_code,
        invited_by=row.invited_by,
        tags=tags,
        charge_count=row.charge_count,
        total_energy_kwh=wh_to_kwh_str(row.total_wh),
        total_paid_fen=row.total_paid_fen,
        last_charge_at=row.last_charge_at,
        wallet_balance_fen=row.wallet_balance_fen,
        points_balance=row.points_balance,
        wallet_available_fen=available(row.wallet_balance_fen, row.wallet_held_fen),
        points_available=available(row.points_balance, row.points_held),
        wechat_openid=row.wechat_openid,
    )
