"""Administrators keep the township register: townships and villages by division code."""

from __future__ import annotations

from tests.console.helpers import csrf_of, field_errors, make_account, sign_in
from trace.models import Township, Village


def test_townships_and_villages_are_added_with_their_codes_checked(client, make, session):
    admin = make_account(make, "admin")
    sign_in(client, admin.username)
    token = csrf_of(client.get("/console/admin/townships").text)
    bad = client.post("/console/admin/townships", data={"csrf_token": token, "code": "12345", "name": "甲镇"})
    assert bad.status_code == 422 and field_errors(bad.text, "code") == ["区划代码为 12 位数字（统计用区划代码）。"]
    village_code = client.post("/console/admin/townships", data={"csrf_token": token, "code": "331124901201",
                                                                 "name": "甲镇"})
    assert field_errors(village_code.text, "code") == ["乡镇代码以 000 结尾，且第 7 至 9 位不为 000。"]
    assert session.get(Township, "331124901201") is None
    made = client.post("/console/admin/townships", data={"csrf_token": token, "code": "331124901000",
                                                         "name": "测试镇", "name_en": "Ceshi"})
    assert made.status_code == 302
    again = client.post("/console/admin/townships", data={"csrf_token": token, "code": "331124901000",
                                                          "name": "又一个"})
    assert field_errors(again.text, "code") == ["此代码已在名录中。"]
    page = client.get("/console/admin/townships/331124901000")
    assert page.status_code == 200 and "测试镇" in page.text
    elsewhere = client.post("/console/admin/townships/331124901000", data={"csrf_token": token,
                                                                           "code": "331124902201", "name": "乙村"})
    assert elsewhere.status_code == 422 and "331124901" in field_errors(elsewhere.text, "code")[0]
    village = client.post("/console/admin/townships/331124901000", data={"csrf_token": token,
                                                                         "code": "331124901201", "name": "乙村"})
    assert village.status_code == 302
    session.expire_all()
    assert session.get(Village, "331124901201").township_code == "331124901000"
    assert session.get(Village, "331124902201") is None
    assert client.get("/console/admin/townships/331124999000").status_code == 404


def test_producers_have_no_township_pages(client, make):
    sign_in(client, make_account(make, "producer").username)
    assert client.get("/console/admin/townships").status_code == 403
