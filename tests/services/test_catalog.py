"""Categories and products at the service level."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trace.errors import ConflictError, PermissionDeniedError, ValidationError
from trace.models import Category
from trace.services.catalog import DEFAULT_CATEGORIES, create_product, seed_categories


def test_seeding_is_idempotent(session):
    assert seed_categories(session) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Category)) >= len(DEFAULT_CATEGORIES)
    session.execute(sa.delete(Category).where(Category.code == "eggs"))
    assert seed_categories(session) == 1
    assert seed_categories(session) == 0


def test_default_templates_name_real_stages_and_fields():
    from trace.schemas.catalog import CategoryIn

    assert len(DEFAULT_CATEGORIES) >= 5
    for spec in DEFAULT_CATEGORIES:
        body = {"code": spec["code"], "nameZh": spec["name_zh"], "nameEn": spec["name_en"],
                "template": spec["template"], "temperatureRange": spec["temperature_range"]}
        CategoryIn().load(body)


def test_the_service_normalises_gtins_whoever_calls_it(make, session):
    producer = make.actor("producer")
    product = create_product(session, producer.user, {"category": "fruit", "name": "猕猴桃", "gtin": "6970000000024"},
                             ledger=make.ledger)
    assert product.gtin == "06970000000024"
    with pytest.raises(ConflictError):
        create_product(session, make.actor("producer").user, {"category": "fruit", "name": "x",
                                                              "gtin": "06970000000024"}, ledger=make.ledger)
    with pytest.raises(ValidationError):
        create_product(session, producer.user, {"category": "fruit", "name": "x", "gtin": "6970000000021"},
                       ledger=make.ledger)


def test_only_producers_register_products(make, session):
    with pytest.raises(PermissionDeniedError):
        create_product(session, make.actor("admin").user, {"category": "fruit", "name": "x"}, ledger=make.ledger)
    with pytest.raises(ValidationError):
        create_product(session, make.actor("producer").user, {"category": "nope", "name": "x"}, ledger=make.ledger)
