"""Voucher template names are unique (issue 17): a campaign's picker must tell templates apart. Spaces
around a name and letter case do not make it another name; the rule applies when a template is created
or renamed, so duplicates made before it stay editable."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import insert, select

from evperks.db.tables import voucher_templates
from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import vouchers
from evperks.services.errors import Invalid

TEMPLATES = "/api/v1/admin/voucher-templates"
BODY = {"face_value_fen": 1000, "deduction_type": "total", "validity": {"type": "days", "days": 7}}


def _create(api, name: str):
    return api.admin("POST", TEMPLATES, json={**BODY, "name": name})


def test_a_second_template_of_the_same_name_is_refused_naming_name_whatever_its_spaces_and_case(api):
    first = _create(api, "Spring 10元券")
    assert first.status_code == 201 and first.json()["name"] == "Spring 10元券"
    for again in ["Spring 10元券", "  spring 10元券 ", "SPRING 10元券"]:
        refused = _create(api, again)
        assert refused.status_code == 422, again
        assert [(e["field"]) for e in refused.json()["errors"]] == ["name"]
        assert "already named Spring 10元券" in refused.json()["errors"][0]["message"]
    assert len(api.admin("GET", TEMPLATES).json()["items"]) == 1
    spaced = _create(api, "  Summer 10元券  ")
    assert spaced.json()["name"] == "Summer 10元券"  # stored without the spaces around it


def test_renaming_onto_another_templates_name_is_refused_and_a_template_may_recase_its_own_name(api):
    spring = _create(api, "Spring").json()
    summer = _create(api, "Summer").json()
    refused = api.admin("PATCH", f"{TEMPLATES}/{summer['id']}", json={"name": " spring"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "name"
    assert api.admin("GET", f"{TEMPLATES}/{summer['id']}").json()["name"] == "Summer"
    recased = api.admin("PATCH", f"{TEMPLATES}/{spring['id']}", json={"name": "SPRING"})
    assert recased.status_code == 200 and recased.json()["name"] == "SPRING"


def test_templates_that_already_share_a_name_stay_editable_but_cannot_be_renamed_onto_each_other(api):
    now = api.ctx.clock.now()
    row = {"name": "旧券", "face_value_fen": 500, "deduction_type": "total", "station_ids": [], "validity_type": "days",
           "validity_days": 7, "min_spend_fen": 0, "enabled": True, "created_at": now, "updated_at": now}
    with api.ctx.db.write() as conn:  # as a database from before the rule holds them
        conn.execute(insert(voucher_templates), [row, row])
        first, second = conn.execute(select(voucher_templates.c.id).order_by(voucher_templates.c.id)).scalars().all()
    changed = api.admin("PATCH", f"{TEMPLATES}/{second}", json={"face_value_fen": 800, "name": "旧券"})
    assert changed.status_code == 200 and changed.json()["face_value_fen"] == 800
    renamed = api.admin("PATCH", f"{TEMPLATES}/{second}", json={"name": "旧券（二）"})
    assert renamed.status_code == 200
    assert api.admin("PATCH", f"{TEMPLATES}/{second}", json={"name": "旧券"}).status_code == 422


def test_parallel_creates_of_one_name_make_one_template_and_refuse_the_others_by_name(api):
    spec = vouchers.TemplateSpec(name="抢名券", face_value_fen=1000, deduction_type=DeductionType.TOTAL,
                                 validity=DaysValidity(7))

    def create(n: int) -> str:
        try:
            vouchers.create_template(api.ctx, spec)
        except Invalid as exc:
            return f"422 {exc.errors[0].field}"
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert sorted(outcomes) == ["422 name"] * 7 + ["ok"]
    names = [t["name"] for t in vouchers.list_templates(api.ctx)["items"]]
    assert names == ["抢名券"]
