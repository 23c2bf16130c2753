"""Demo data for ``evperks demo``, created through the same services the API uses."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

from evperks.config import Settings
from evperks.db.migrate import upgrade
from evperks.domain.campaigns import Metric
from evperks.domain.mall import ItemSpec
from evperks.domain.timecal import local_midnight_after
from evperks.domain.vouchers import DaysValidity, DeductionType, VoucherKind
from evperks.services import access, h5_links, mall, members, points, stations, vouchers
from evperks.services.campaigns import binding, lifecycle
from evperks.services.campaigns.types import CAMPAIGN_TYPES, consumption, one_time, recharge, referral, registration
from evperks.services.context import Context
from evperks.services.points import settings as points_settings
from evperks.services.wallet import settings as wallet_settings

STATIONS = [
    ("SZ-NS-01", "南山科技园充电站", "深圳"),
    ("SZ-FT-02", "福田会展中心充电站", "深圳"),
    ("GZ-TH-01", "天河体育中心充电站", "广州"),
]
MEMBERS = [
    ("demo-m1", "13800138001", "张三", ("vip",)),
    ("demo-m2", "13800138002", "李四", ()),
    ("demo-m3", "13900139003", "王五", ("fleet",)),
]
TEMPLATES = [
    ("5元服务费券", 500, DeductionType.SERVICE_FEE, 7, (), 0),
    ("10元通用券", 1000, DeductionType.TOTAL, 30, (), 3000),
    ("南山站20元券", 2000, DeductionType.TOTAL, 14, ("SZ-NS-01",), 5000),
]


def prepare(settings: Settings) -> Iterator[str]:
    """Migrate a fresh database, fill it, and yield the lines to show the person starting the demo."""
    upgrade(settings.database_url)
    ctx = Context.from_settings(settings)
    for station_id, name, city in STATIONS:
        stations.upsert_station(ctx, station_id=station_id, name=name, city=city)
    first = None
    for member_id, phone, nickname, tags in MEMBERS:
        invite = first["invite_code"] if first else None
        member = members.register_member(
            ctx, member_id=member_id, phone=phone, nickname=nickname, channel="demo", invite_code=invite, tags=tags
        )
        first = first or member
    template_ids = []
    for name, fen, kind, days, scope, min_spend in TEMPLATES:
        spec = vouchers.TemplateSpec(name=name, face_value_fen=fen, deduction_type=kind,
                                     validity=DaysValidity(days), station_ids=scope, min_spend_fen=min_spend)
        template_ids.append(vouchers.create_template(ctx, spec)["id"])
    for template_id in template_ids:
        vouchers.issue_manual(ctx, member_id="demo-m1", template_id=template_id, quantity=1,
                              reason="演示数据", issued_by="demo")
    _settings(ctx)
    campaign_names = _campaigns(ctx, template_ids, bound=["demo-m1", "demo-m2", "demo-m3"])
    mall_names = _mall(ctx, template_ids)
    _promotion_vouchers(ctx)
    password = secrets.token_urlsafe(9)
    access.create_admin_user(ctx, username="admin", password=password, role="admin")
    admin_key = access.create_api_key(ctx, name="demo-admin", role="admin")
    platform_key = access.create_api_key(ctx, name="demo-platform", role="platform")
    base = settings.public_base_url.rstrip("/")
    member_h5 = h5_links.member_link(ctx, "demo-m1")["url"]
    ctx.db.dispose()
    yield "evperks demo — a sandbox on a fresh SQLite database"
    yield f"  admin console: {base}/admin"
    yield f"  member H5:     {member_h5}   (张三, demo-m1)"
    yield f"  API docs:      {base}/docs"
    yield f"  OpenAPI:       {base}/openapi.json"
    yield f"  admin login:   admin / {password}"
    yield f"  admin key:     {admin_key}"
    yield f"  platform key:  {platform_key}"
    yield f"  campaigns:     {', '.join(campaign_names)}"
    yield f"  points mall:   {', '.join(mall_names)}   (张三 has 800 points to exchange)"
    yield f"  try:           curl -H 'Authorization: Bearer {platform_key}' {base}/api/v1/members/demo-m1/vouchers"


def _settings(ctx: Context) -> None:
    points_settings.put_settings(
        ctx,
        earning={"per_yuan_paid": "1", "per_kwh": "0"},
        redemption={"enabled": True, "points_per_yuan": 100, "base": "total", "station_ids": [], "min_points": 100,
                    "max_points": 5000, "max_share_percent": 50, "combine_with_voucher": True},
        expiry={"rule": "yearly", "years": 1, "month": 12, "day": 31},
    )
    wallet_settings.put_settings(ctx, min_recharge_fen=1000, denominations_fen=[5000, 10000, 20000, 50000],
                                 allow_custom_amount=True)


def _campaigns(ctx: Context, template_ids: list[int], *, bound: list[str]) -> list[str]:
    """One running campaign of each type, published through the same service the admin API uses."""
    service_fee, general, station = template_ids
    start = ctx.clock.now() - timedelta(minutes=1)
    end = local_midnight_after(start, ctx.zone, 30)
    common = {"start_at": start, "end_at": end, "total_packages": 1000}
    specs = [
        {"type": referral.NAME, "name": "邀请有奖", "rules_text": "好友通过您的邀请链接注册并完成首次充电，您得10元通用券。",
         "reward": [{"template_id": general, "quantity": 1}]},
        {"type": registration.NAME, "name": "注册有礼", "rules_text": "首次注册即送5元服务费券两张。",
         "reward": [{"template_id": service_fee, "quantity": 2}]},
        {"type": recharge.NAME, "name": "充值送券", "rules_text": "单次充值满100元送10元券，满200元另送南山站20元券。",
         "tiers": [{"min_amount_fen": 10000, "reward": [{"template_id": general, "quantity": 1}]},
                   {"min_amount_fen": 20000, "reward": [{"template_id": general, "quantity": 1},
                                                        {"template_id": station, "quantity": 1}]}]},
        {"type": one_time.NAME, "name": "老用户回馈", "rules_text": "活动期间向指定会员一次性发放5元服务费券。",
         "issue_at": start + timedelta(seconds=30), "reward": [{"template_id": service_fee, "quantity": 1}]},
        {"type": consumption.NAME, "name": "充电满额送", "metric": Metric.ENERGY, "progress_reminder": "10", "countdown_days": 3,
         "rules_text": "活动期间累计充电满50度送10元券，满100度再送南山站20元券。",
         "tiers": [{"threshold": "50", "reward": [{"template_id": general, "quantity": 1}]},
                   {"threshold": "100", "reward": [{"template_id": station, "quantity": 1}]}]},
    ]
    names = []
    for spec in specs:
        campaign = lifecycle.create_campaign(ctx, fields={**common, **spec})
        if CAMPAIGN_TYPES[spec["type"]].REQUIRES_MEMBERS:
            binding.bind_members(ctx, campaign["id"], member_ids=bound)
        lifecycle.publish_campaign(ctx, campaign["id"])
        names.append(spec["name"])
    return names


def _mall(ctx: Context, template_ids: list[int]) -> list[str]:
    """Two items in the points mall (积分商城), and points for 张三 to exchange them with."""
    service_fee, general, _station = template_ids
    items = [
        ItemSpec(name="5元服务费券（2张）", reward=((service_fee, 2),), points_price=300, stock=100, per_member_limit=3),
        ItemSpec(name="10元通用券礼包", reward=((general, 1), (service_fee, 1)), points_price=500, stock=20,
                 per_member_limit=1),
    ]
    for spec in items:
        mall.create_item(ctx, spec, actor="demo")
    points.adjust(ctx, member_id="demo-m1", points=800, reason="演示积分", actor="demo")
    return [spec.name for spec in items]


# A 折扣券 (服务费8折，最高抵¥3) and an off-peak 立减券 (仅限 23:00–07:00 使用), given to the first two members.
PROMOTION_TEMPLATES = (
    vouchers.TemplateSpec(name="服务费8折券", face_value_fen=None, deduction_type=DeductionType.SERVICE_FEE,
                          validity=DaysValidity(30), kind=VoucherKind.PERCENT, percent_off=20, max_deduction_fen=300),
    vouchers.TemplateSpec(name="谷时5元券", face_value_fen=500, deduction_type=DeductionType.TOTAL,
                          validity=DaysValidity(30), usable_hours=({"from": "23:00", "to": "07:00"},)),
)


def _promotion_vouchers(ctx: Context) -> None:
    for spec in PROMOTION_TEMPLATES:
        template_id = vouchers.create_template(ctx, spec)["id"]
        for member_id in ("demo-m1", "demo-m2"):
            vouchers.issue_manual(ctx, member_id=member_id, template_id=template_id, quantity=1,
                                  reason="演示数据", issued_by="demo")
