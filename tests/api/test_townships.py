"""The township register through /api/v1: admins keep it, inspectors and admins read it."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.helpers import assert_problem
from trace.models import Township, Village


def add(client, admin, code="331124104000", name="新兴镇", **extra):
    return client.post("/api/v1/townships", json={"code": code, "name": name, **extra}, headers=admin.headers)


def test_admin_keeps_the_register_and_inspectors_read_it(client, make):
    admin, inspector = make.actor("admin"), make.actor("inspector")
    r = add(client, admin, nameEn="Xinxing Town")
    assert r.status_code == 201, r.json
    assert r.headers["Location"] == "/api/v1/townships/331124104000"
    r = client.post("/api/v1/townships/331124104000/villages", json={"code": "331124104201", "name": "横山村"},
                    headers=admin.headers)
    assert r.status_code == 201, r.json
    assert r.json == {"code": "331124104201", "township": "331124104000", "name": "横山村", "nameEn": None}
    r = client.patch("/api/v1/townships/331124104000", json={"nameEn": "Xinxing"}, headers=admin.headers)
    assert (r.status_code, r.json["name"], r.json["nameEn"]) == (200, "新兴镇", "Xinxing")
    r = client.patch("/api/v1/villages/331124104201", json={"name": "横山行政村"}, headers=admin.headers)
    assert (r.status_code, r.json["name"]) == (200, "横山行政村")
    listed = client.get("/api/v1/townships", headers=inspector.headers)
    assert listed.status_code == 200
    assert listed.json["items"] == [{"code": "331124104000", "county": "331124", "name": "新兴镇", "nameEn": "Xinxing",
                                     "villages": [{"code": "331124104201", "township": "331124104000",
                                                   "name": "横山行政村", "nameEn": None}]}]
    assert client.get("/api/v1/townships/331124104000", headers=inspector.headers).json == listed.json["items"][0]


def test_others_may_neither_read_nor_change_the_register(client, make, session):
    admin, producer, inspector = make.actor("admin"), make.actor("producer"), make.actor("inspector")
    assert add(client, admin).status_code == 201
    assert_problem(client.get("/api/v1/townships", headers=producer.headers), 403, "forbidden")
    assert_problem(client.get("/api/v1/townships"), 401, "unauthenticated")
    assert_problem(add(client, inspector, "331124103000", "大东坝镇"), 403, "forbidden")
    assert_problem(client.patch("/api/v1/townships/331124104000", json={"name": "x"}, headers=producer.headers),
                   403, "forbidden")
    org = producer.org.id
    assert_problem(client.put(f"/api/v1/organizations/{org}/township", json={"township": "331124104000"},
                              headers=producer.headers), 403, "forbidden")
    assert session.scalar(sa.select(sa.func.count()).select_from(Township)) == 1
    assert session.get(Township, "331124104000").name == "新兴镇"


def test_bad_codes_are_422_unknown_ones_404_duplicates_409(client, make, session):
    admin = make.actor("admin")
    assert_problem(add(client, admin, code="33112410400"), 422, "validation", "code")
    assert_problem(add(client, admin, code="331124104201"), 422, "validation", "code")
    assert_problem(add(client, admin, name=""), 422, "validation", "name")
    assert add(client, admin).status_code == 201
    assert_problem(add(client, admin), 409, "conflict", "code")
    assert_problem(client.get("/api/v1/townships/331124199000", headers=admin.headers), 404, "not-found")
    r = client.post("/api/v1/townships/331124104000/villages", json={"code": "331124103201", "name": "石仓村"},
                    headers=admin.headers)
    assert_problem(r, 422, "validation", "code")
    assert session.scalar(sa.select(sa.func.count()).select_from(Village)) == 0


def test_organizations_are_placed_by_code(client, make):
    admin = make.actor("admin")
    assert add(client, admin).status_code == 201
    client.post("/api/v1/townships/331124104000/villages", json={"code": "331124104201", "name": "横山村"},
                headers=admin.headers)
    body = {"kind": "cooperative", "name": "横山茶叶合作社",
            "region": {"province": "浙江省", "county": "松阳县", "townshipCode": "331124104000",
                       "villageCode": "331124104201"}}
    r = client.post("/api/v1/organizations", json=body, headers=admin.headers)
    assert r.status_code == 201, r.json
    assert r.json["region"] == {"province": "浙江省", "county": "松阳县", "township": "新兴镇", "village": "横山村",
                                "townshipCode": "331124104000", "villageCode": "331124104201"}
    org = r.json["id"]
    r = client.put(f"/api/v1/organizations/{org}/township", json={"township": None}, headers=admin.headers)
    assert r.status_code == 200, r.json
    assert (r.json["region"]["township"], r.json["region"]["townshipCode"], r.json["region"]["village"]) == (
        None, None, None)
    r = client.put(f"/api/v1/organizations/{org}/township", json={"township": "331124199000"}, headers=admin.headers)
    assert_problem(r, 404, "not-found")
