"""The township register: codes, villages, placing organizations, the demo county's seed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trace.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from trace.models import Organization, OrganizationTownship, Township, Village
from trace.services.organizations.organizations import create_organization
from trace.services.organizations.township_seeds import TOWNSHIPS, seed_townships
from trace.services.organizations.townships import (
    create_township,
    create_village,
    get_township,
    is_township_code,
    list_townships,
    place_organization,
    rename_division,
)


def township(session, code="331124104000", name="新兴镇"):
    return create_township(session, None, {"code": code, "name": name, "name_en": "Xinxing Town"})


@pytest.mark.parametrize(("code", "ok"), [
    ("331124104000", True), ("331124001000", True), ("331124000000", False),  # the county itself
    ("331124104201", False), ("33112410400", False), ("0331124104000"[:12], False), ("33112410400x", False),
])
def test_a_township_code_has_twelve_digits_a_township_part_and_ends_in_000(code, ok):
    assert is_township_code(code) is ok


def test_admins_add_townships_and_villages_with_matching_codes(make, session):
    admin = make.actor("admin")
    xinxing = create_township(session, admin.user, {"code": "331124104000", "name": "新兴镇"})
    village = create_village(session, admin.user, xinxing, {"code": "331124104201", "name": "横山村"})
    assert (village.township_code, xinxing.county_code) == ("331124104000", "331124")
    with pytest.raises(ValidationError) as bad:
        create_village(session, admin.user, xinxing, {"code": "331124103201", "name": "石仓村"})
    assert "code" in bad.value.errors
    with pytest.raises(ValidationError):
        create_village(session, admin.user, xinxing, {"code": "331124104000", "name": "镇本身"})
    with pytest.raises(ValidationError):
        create_township(session, admin.user, {"code": "331124104201", "name": "不是乡镇"})
    with pytest.raises(ConflictError):
        create_township(session, admin.user, {"code": "331124104000", "name": "重复"})
    with pytest.raises(ConflictError):
        create_village(session, admin.user, xinxing, {"code": "331124104201", "name": "重复"})
    assert [t.code for t in list_townships(session)] == ["331124104000"]
    assert [v.name for v in get_township(session, "331124104000").villages] == ["横山村"]


def test_only_admins_keep_the_register(make, session):
    xinxing = township(session)
    for role in ("producer", "inspector"):
        actor = make.actor(role)
        with pytest.raises(PermissionDeniedError):
            create_township(session, actor.user, {"code": "331124103000", "name": "大东坝镇"})
        with pytest.raises(PermissionDeniedError):
            create_village(session, actor.user, xinxing, {"code": "331124104201", "name": "横山村"})
        with pytest.raises(PermissionDeniedError):
            rename_division(session, actor.user, xinxing, {"name": "改名"})
        with pytest.raises(PermissionDeniedError):
            place_organization(session, actor.user, actor.org, xinxing.code)
    assert session.scalar(sa.select(sa.func.count()).select_from(Village)) == 0
    assert session.get(Township, xinxing.code).name == "新兴镇"


def test_placing_an_organization_names_its_township_and_keeps_the_history(make, session):
    admin = make.actor("admin")
    xinxing = township(session)
    dadongba = township(session, "331124103000", "大东坝镇")
    shicang = create_village(session, None, dadongba, {"code": "331124103201", "name": "石仓村"})
    org = create_organization(session, admin.user, {
        "kind": "cooperative", "name": "横山合作社",
        "region": {"province": "浙江省", "county": "松阳县", "township_code": xinxing.code}})
    assert (org.township_code, org.township, org.village_code) == (xinxing.code, "新兴镇", None)
    with pytest.raises(ValidationError):
        place_organization(session, admin.user, org, xinxing.code, shicang.code)  # a village of another township
    with pytest.raises(NotFoundError):
        place_organization(session, admin.user, org, "331124199000")
    place_organization(session, admin.user, org, dadongba.code, shicang.code)
    assert (org.township_code, org.township, org.village_code, org.village) == (
        dadongba.code, "大东坝镇", shicang.code, "石仓村")
    history = session.scalars(sa.select(OrganizationTownship.township_code)
                              .where(OrganizationTownship.organization_id == org.id)
                              .order_by(OrganizationTownship.id)).all()
    assert history == [xinxing.code, dadongba.code]
    place_organization(session, admin.user, org, dadongba.code, shicang.code)  # no move, no new history row
    assert session.scalar(sa.select(sa.func.count()).select_from(OrganizationTownship)
                          .where(OrganizationTownship.organization_id == org.id)) == 2


def test_renaming_a_township_renames_it_where_organizations_show_it(make, session):
    admin = make.actor("admin")
    xinxing = township(session)
    org = make.org()
    place_organization(session, admin.user, org, xinxing.code)
    rename_division(session, admin.user, xinxing, {"name": "新兴镇（新）", "name_en": "Xinxing"})
    session.expire_all()
    assert session.get(Organization, org.id).township == "新兴镇（新）"
    assert session.get(Township, xinxing.code).name_en == "Xinxing"


def test_the_demo_county_seed_is_complete_and_added_once(session):
    added = seed_townships(session)
    villages = sum(len(v) for *_, v in TOWNSHIPS)
    assert added == len(TOWNSHIPS) + villages
    assert seed_townships(session) == 0
    codes = [t.code for t in list_townships(session, "331124")]
    assert codes == sorted(code for code, *_ in TOWNSHIPS)
    assert all(is_township_code(c) for c in codes)
    assert len(set(t.name for t in list_townships(session))) == len(TOWNSHIPS) == 19
