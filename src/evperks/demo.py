"""Demo data for ``evperks demo``, created through the same services the API uses."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from evperks.config import Settings
from evperks.db.migrate import upgrade
from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import access, members, stations, vouchers
from evperks.services.context import Context

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
    password = secrets.token_urlsafe(9)
    access.create_admin_user(ctx, username="admin", password=password, role="admin")
    admin_key = access.create_api_key(ctx, name="demo-admin", role="admin")
    platform_key = access.create_api_key(ctx, name="demo-platform", role="platform")
    base = settings.public_base_url.rstrip("/")
    ctx.db.dispose()
    yield "evperks demo — a sandbox on a fresh SQLite database"
    yield f"  API docs:      {base}/docs"
    yield f"  OpenAPI:       {base}/openapi.json"
    yield f"  admin login:   admin / {password}"
    yield f"  admin key:     {admin_key}"
    yield f"  platform key:  {platform_key}"
    yield f"  try:           curl -H 'Authorization: Bearer {platform_key}' {base}/api/v1/members/demo-m1/vouchers"
