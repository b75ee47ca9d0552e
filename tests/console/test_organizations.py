"""Administrators register organizations and place them in the township register."""

from __future__ import annotations

import sqlalchemy as sa

from tests.console.helpers import csrf_of, field_errors, make_account, sign_in
from trace.models import AccountEvent, Organization
from trace.services.organizations.township_seeds import seed_townships, township_code_named


def _form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "kind": "station", "name": "", "name_en": "", "credit_code": "",
            "province": "浙江省", "county": "松阳县", "township": "", "contact_name": "", "contact_phone": "", **fields}


def test_a_bad_organization_is_refused_beside_its_fields_and_nothing_is_written(client, make, session):
    admin = make_account(make, "admin")
    sign_in(client, admin.username)
    token = csrf_of(client.get("/console/admin/organizations").text)
    count = session.scalar(sa.select(sa.func.count()).select_from(Organization))
    refused = client.post("/console/admin/organizations", data=_form(token, credit_code="123", county=""))
    assert refused.status_code == 422
    assert field_errors(refused.text, "name") == ["此项为必填项。"]
    assert field_errors(refused.text, "county") == ["此项为必填项。"]
    assert len(field_errors(refused.text, "credit_code")) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Organization)) == count


def test_a_station_is_registered_in_its_township_and_moved(client, make, session):
    seed_townships(session)
    session.commit()
    admin = make_account(make, "admin")
    sign_in(client, admin.username)
    token = csrf_of(client.get("/console/admin/organizations").text)
    xinxing, dadongba = township_code_named("新兴镇"), township_code_named("大东坝镇")
    made = client.post("/console/admin/organizations", data=_form(token, name="新兴镇服务站测试", township=xinxing))
    assert made.status_code == 302, made.text
    org = session.scalar(sa.select(Organization).where(Organization.name == "新兴镇服务站测试"))
    assert (org.kind, org.township_code) == ("station", xinxing)
    page = client.get(made.headers["Location"])
    assert "新兴镇" in page.text
    moved = client.post(f"/console/admin/organizations/{org.id}/township",
                        data={"csrf_token": token, "township": dadongba})
    assert moved.status_code == 302
    session.expire_all()
    assert session.get(Organization, org.id).township_code == dadongba
    actions = session.scalars(sa.select(AccountEvent.action).where(AccountEvent.organization_id == org.id)).all()
    assert "organization_created" in actions and actions.count("organization_placed") == 2
    bogus = client.post(f"/console/admin/organizations/{org.id}/township", data={"csrf_token": token,
                                                                                "township": "330000000000"})
    assert bogus.status_code == 422 and field_errors(bogus.text, "township")
