"""What the member H5 reads that no other service answers: the home page's summary, the invite page,
and the names (stations, campaigns) voucher lists show. One read transaction each, set-based."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from evperks.db.tables import campaign_packages, campaigns, members, referral_rewards, voucher_templates, vouchers
from evperks.services import stations_store
from evperks.services.campaigns.running import paying_campaigns, running_campaigns
from evperks.services.campaigns.types import CAMPAIGN_TYPES, referral, registration
from evperks.services.context import Context
from evperks.services.errors import NotFound
from evperks.services.messages_store import count_unread
from evperks.services.results import Result, result


@result
class RunningCampaign(Result):
    """A campaign as a member's page lists it."""

    id: int
    name: str | None
    type: str
    rules_text: str
    start_at: datetime
    end_at: datetime


@result
class Home(Result):
    nickname: str | None
    phone: str  # masked
    wallet_balance_fen: int
    points_balance: int
    wallet_held_fen: int  # held by open charge sessions (充电中冻结): not available meanwhile
    points_held: int
    vouchers_available: int
    unread_messages: int
    campaigns: tuple[RunningCampaign, ...]  # in the order of their type's ``H5_RANK``, then oldest first


@result
class Invitee(Result):
    phone: str  # masked
    registered_at: datetime
    charged: bool
    rewarded_at: datetime | None


@result
class InviteReward(Result):
    """A voucher an invitation earned."""

    name: str
    face_value_fen: int | None  # None for a percent voucher
    deduction_type: str
    valid_until: datetime
    status: str
    invitee: str  # the invitee's masked phone
    kind: str
    percent_off: int | None
    max_deduction_fen: int | None
    given_at: datetime


@result
class InviteCondition(Result):
    """What the running referral campaign asks of an invitee's order, and its cap per inviter (None: none)."""

    min_first_charge_wh: int | None
    min_first_charge_paid_fen: int | None
    max_rewards_per_inviter: int | None


@result
class Invites(Result):
    invite_code: str
    campaign: RunningCampaign | None  # the referral campaign running for the member
    condition: InviteCondition | None  # the safeguards of that campaign
    invitees: tuple[Invitee, ...]
    rewards: tuple[InviteReward, ...]


@result
class OfferedVoucher(Result):
    """A voucher a registering member would get now."""

    campaign_name: str | None
    name: str
    face_value_fen: int | None  # None for a percent voucher
    deduction_type: str
    quantity: int
    kind: str
    percent_off: int | None
    max_deduction_fen: int | None


@result
class Names(Result):
    stations: dict[str, str]
    campaigns: dict[int, str]


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def home(ctx: Context, member_id: str) -> Home:
    """Balances, the counts of usable vouchers and unread messages, and the campaigns running now that
    admit the member (but not the registration campaigns: whoever sees this page is registered already;
    the registration page shows them)."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        member = conn.execute(select(members).where(members.c.id == member_id)).first()
        if member is None:
            raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
        usable = conn.execute(
            select(func.count()).select_from(vouchers).where(
                vouchers.c.member_id == member_id, vouchers.c.status == "available", vouchers.c.valid_until > now)
        ).scalar_one()
        shown = [c for kind in sorted(CAMPAIGN_TYPES.values(), key=lambda kind: kind.H5_RANK)
                 if kind.NAME != registration.NAME
                 for c in paying_campaigns(conn, kind=kind, at=now, participant=member_id)]
        unread = count_unread(conn, member_id)
    return Home(nickname=member.nickname, phone=mask_phone(member.phone), wallet_balance_fen=member.wallet_balance_fen,
                points_balance=member.points_balance, wallet_held_fen=member.wallet_held_fen,
                points_held=member.points_held, vouchers_available=usable, unread_messages=unread,
                campaigns=tuple(_campaign(c) for c in shown))


def invites(ctx: Context, member_id: str) -> Invites:
    """The member's invite code, the referral campaign running for it, the people it invited (masked)
    and the vouchers those invitations earned."""
    now = ctx.clock.now()
    invitee = members.alias("invitee")
    with ctx.db.read() as conn:
        code = conn.execute(select(members.c.invite_code).where(members.c.id == member_id)).scalar_one_or_none()
        if code is None:
            raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
        running = paying_campaigns(conn, kind=referral, at=now, participant=member_id)
        invited = conn.execute(
            select(invitee.c.phone, invitee.c.registered_at, invitee.c.charge_count,
                   referral_rewards.c.created_at.label("rewarded_at"))
            .select_from(invitee.outerjoin(referral_rewards, referral_rewards.c.invitee_id == invitee.c.id))
            .where(invitee.c.invited_by == member_id)
            .order_by(invitee.c.registered_at.desc(), invitee.c.id.desc()).limit(200)
        ).all()
        p = campaign_packages.c
        rewards = conn.execute(
            select(vouchers.c.name, vouchers.c.face_value_fen, vouchers.c.deduction_type, vouchers.c.valid_until,
                   vouchers.c.status, invitee.c.phone.label("invitee_phone"), p.created_at, vouchers.c.kind,
                   vouchers.c.percent_off, vouchers.c.max_deduction_fen)
            .select_from(campaign_packages.join(vouchers, vouchers.c.package_id == p.id)
                         .join(invitee, invitee.c.id == p.ref))
            .where(p.member_id == member_id, p.trigger == referral.NAME)
            .order_by(p.created_at.desc(), vouchers.c.id)
        ).all()
    return Invites(
        invite_code=code,
        campaign=_campaign(running[0]) if running else None,  # the one that pays
        condition=InviteCondition(min_first_charge_wh=running[0].min_first_charge_wh,
                                  min_first_charge_paid_fen=running[0].min_first_charge_paid_fen,
                                  max_rewards_per_inviter=running[0].max_rewards_per_inviter) if running else None,
        invitees=tuple(Invitee(phone=mask_phone(r.phone), registered_at=r.registered_at, charged=r.charge_count > 0,
                               rewarded_at=r.rewarded_at) for r in invited),
        rewards=tuple(InviteReward(name=r.name, face_value_fen=r.face_value_fen, deduction_type=r.deduction_type,
                                   valid_until=r.valid_until, status=r.status, invitee=mask_phone(r.invitee_phone),
                                   given_at=r.created_at, kind=r.kind, percent_off=r.percent_off,
                                   max_deduction_fen=r.max_deduction_fen) for r in rewards),
    )


def inviter_of_code(ctx: Context, invite_code: str) -> str | None:
    """The masked phone of the member owning ``invite_code`` (for "… 邀请你注册"), or None."""
    with ctx.db.read() as conn:
        phone = conn.execute(
            select(members.c.phone).where(members.c.invite_code == invite_code.strip().upper())
        ).scalar_one_or_none()
    return mask_phone(phone) if phone else None


def names(ctx: Context, *, station_ids: set[str], campaign_ids: set[int]) -> Names:
    """The names of the stations and campaigns (by id) a page shows."""
    with ctx.db.read() as conn:
        station_names = stations_store.names(conn, station_ids)
        campaign_names = dict(conn.execute(select(campaigns.c.id, campaigns.c.name)
                                           .where(campaigns.c.id.in_(campaign_ids))).all()) if campaign_ids else {}
    return Names(stations=station_names, campaigns=campaign_names)


def _campaign(row) -> RunningCampaign:
    return RunningCampaign(id=row.id, name=row.name, type=row.type, rules_text=row.rules_text or "",
                           start_at=row.start_at, end_at=row.end_at)


def used_at(ctx: Context, member_id: str, voucher_ids: set[int]) -> dict[int, datetime]:
    """When each of the member's used vouchers (by id) was used (the 已使用 tab shows it beside the order)."""
    if not voucher_ids:
        return {}
    with ctx.db.read() as conn:
        return dict(conn.execute(select(vouchers.c.id, vouchers.c.used_at).where(
            vouchers.c.member_id == member_id, vouchers.c.id.in_(voucher_ids), vouchers.c.used_at.is_not(None))).all())


def registration_offer(ctx: Context) -> tuple[OfferedVoucher, ...]:
    """What registering now would bring: the vouchers of every registration campaign running now with
    budget left (they all pay, oldest first); empty when none would."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        paying = [c for c in running_campaigns(conn, type=registration.NAME, at=now)
                  if c.total_packages is None or c.packages_given < c.total_packages]
        wanted = {item["template_id"] for c in paying for item in c.reward}
        templates = {t.id: t for t in conn.execute(select(voucher_templates).where(voucher_templates.c.id.in_(wanted)))} \
            if wanted else {}
    return tuple(OfferedVoucher(campaign_name=c.name, name=t.name, face_value_fen=t.face_value_fen,
                                deduction_type=t.deduction_type, quantity=item["quantity"], kind=t.kind,
                                percent_off=t.percent_off, max_deduction_fen=t.max_deduction_fen)
                 for c in paying for item in c.reward if (t := templates.get(item["template_id"])) and t.enabled)
