"""Categories and products through /api/v1."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem
from trace.models import Category, Product
from trace.services.catalog.catalog import DEFAULT_CATEGORIES


def category_body(**overrides):
    body = {
        "code": "honey",
        "nameZh": "蜂蜜",
        "nameEn": "Honey",
        "template": [{"stage": "harvest", "requires": ["quantity", "uom"]}, {"stage": "inspection"},
                     {"stage": "packing"}],
        "temperatureRange": {"min": "5", "max": "25"},
    }
    body.update(overrides)
    return body


def test_seeded_categories_are_listed_without_a_token(client):
    r = client.get("/api/v1/categories")
    assert r.status_code == 200
    codes = [c["code"] for c in r.json["items"]]
    assert codes[: len(DEFAULT_CATEGORIES)] == [c["code"] for c in DEFAULT_CATEGORIES]
    assert len(codes) >= 5
    tea = next(c for c in r.json["items"] if c["code"] == "tea")
    assert tea["nameZh"] == "茶叶"
    assert "processing" in [step["stage"] for step in tea["template"]]


def test_one_category_and_a_missing_one(client):
    r = client.get("/api/v1/categories/vegetables")
    assert r.status_code == 200
    assert r.json["nameEn"] == "Vegetables"
    assert r.json["temperatureRange"] == {"min": "0", "max": "10"}
    assert_problem(client.get("/api/v1/categories/nonesuch"), 404, "not-found")


def test_admin_adds_a_category(client, make, session):
    admin = make.actor("admin")
    r = client.post("/api/v1/categories", json=category_body(), headers=admin.headers)
    assert r.status_code == 201, r.json
    assert r.headers["Location"] == "/api/v1/categories/honey"
    assert r.json["template"][0] == {"stage": "harvest", "requires": ["quantity", "uom"], "fields": []}
    assert r.json["template"][1] == {"stage": "inspection", "requires": [], "fields": []}
    assert r.json["templateVersion"] == 1
    assert r.json["temperatureRange"] == {"min": "5", "max": "25"}
    assert session.query(Category).filter_by(code="honey").one().name_zh == "蜂蜜"


def test_duplicate_category_code_is_a_conflict(client, make):
    admin = make.actor("admin")
    assert_problem(client.post("/api/v1/categories", json=category_body(code="tea"), headers=admin.headers),
                   409, "conflict", "code")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "Honey!"}, "code"),
        ({"template": []}, "template"),
        ({"template": [{"stage": "juggling"}]}, "template"),
        ({"template": [{"stage": "harvest"}, {"stage": "harvest"}]}, "template"),
        ({"template": [{"stage": "harvest", "requires": ["colour"]}]}, "template"),
        ({"temperatureRange": {"min": "10", "max": "2"}}, "temperatureRange"),
        ({"nameZh": ""}, "nameZh"),
    ],
    ids=["code-pattern", "empty-template", "unknown-stage", "repeated-stage", "unknown-required-field",
         "inverted-range", "empty-name"],
)
def test_invalid_category_is_422(client, make, session, overrides, field):
    admin = make.actor("admin")
    before = session.query(Category).count()
    r = client.post("/api/v1/categories", json=category_body(**overrides), headers=admin.headers)
    assert_problem(r, 422, "validation", field)
    assert session.query(Category).count() == before


def test_producer_registers_a_product_with_a_normalised_gtin(client, make, session):
    producer = make.actor("producer")
    brand, owner = make.brand("松阳")
    make.grant(brand, owner, producer.org)
    body = {"category": "fruit", "name": "红心猕猴桃", "nameEn": "Kiwi", "gtin": "6970000000024",
            "regionalBrand": "松阳", "brand": "玉岩",
            "certifications": [{"kind": "green_food", "number": "LB-1", "validUntil": "2030-01-01"}]}
    r = client.post("/api/v1/products", json=body, headers=producer.headers)
    assert r.status_code == 201, r.json
    assert r.headers["Location"] == f"/api/v1/products/{r.json['id']}"
    assert r.json["gtin"] == "06970000000024"
    assert r.json["organization"] == producer.org.id
    assert r.json["category"] == "fruit"
    assert r.json["certifications"] == [{"kind": "green_food", "number": "LB-1", "validUntil": "2030-01-01"}]
    assert session.get(Product, r.json["id"]).gtin == "06970000000024"
    assert client.get(f"/api/v1/products/{r.json['id']}", headers=producer.headers).json == r.json


def test_gtin_check_digit_is_verified(client, make):
    producer = make.actor("producer")
    r = client.post("/api/v1/products", json={"category": "fruit", "name": "x", "gtin": "6970000000022"},
                    headers=producer.headers)
    body = assert_problem(r, 422, "validation", "gtin")
    assert "check digit" in body["errors"]["gtin"][0]


def test_one_gtin_one_product(client, make):
    producer = make.actor("producer")
    other = make.actor("producer")
    make.product(producer, gtin="6970000000031")
    r = client.post("/api/v1/products", json={"category": "grain_oil", "name": "油", "gtin": "06970000000031"},
                    headers=other.headers)
    assert_problem(r, 409, "conflict", "gtin")


def test_product_category_must_exist(client, make):
    producer = make.actor("producer")
    r = client.post("/api/v1/products", json={"category": "spices", "name": "花椒"}, headers=producer.headers)
    assert_problem(r, 422, "validation", "category")


def test_unknown_certification_kind_is_rejected(client, make):
    producer = make.actor("producer")
    r = client.post("/api/v1/products", json={"category": "tea", "name": "茶", "certifications": [{"kind": "gold"}]},
                    headers=producer.headers)
    assert_problem(r, 422, "validation", "certifications")


def test_products_filter_by_organization(client, make):
    producer = make.actor("producer")
    other = make.actor("producer")
    mine = make.product(producer, name="番茄")
    theirs = make.product(other, name="黄瓜")
    r = client.get(f"/api/v1/products?organization={producer.org.id}", headers=producer.headers)
    assert [p["id"] for p in r.json["items"]] == [mine.id]
    everything = [p["id"] for p in client.get("/api/v1/products", headers=producer.headers).json["items"]]
    assert {mine.id, theirs.id} <= set(everything)


def test_missing_product_is_404(client, make):
    producer = make.actor("producer")
    assert_problem(client.get("/api/v1/products/999999", headers=producer.headers), 404, "not-found")
    assert_problem(client.get("/api/v1/products/999999"), 401, "unauthenticated")
