"""Categories and products at the service level."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trace.errors import ConflictError, PermissionDeniedError, ValidationError
from trace.models import Category, CategoryTemplate
from trace.services.catalog.catalog import DEFAULT_CATEGORIES, create_product, seed_categories


def test_seeding_is_idempotent(session):
    assert seed_categories(session) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Category)) >= len(DEFAULT_CATEGORIES)
    eggs = session.scalar(sa.select(Category.id).where(Category.code == "eggs"))
    session.execute(sa.delete(CategoryTemplate).where(CategoryTemplate.category_id == eggs))
    session.execute(sa.delete(Category).where(Category.id == eggs))
    assert seed_categories(session) == 1
    assert seed_categories(session) == 0


def test_default_templates_name_real_stages_and_fields():
    from trace.schemas.catalog import CategoryIn
    from trace.schemas.templates import stored_steps
    from trace.services.catalog.template_seeds import EXTRA_FIELDS, with_extra_fields

    assert len(DEFAULT_CATEGORIES) >= 5
    for spec in DEFAULT_CATEGORIES:
        template = with_extra_fields(spec["code"], spec["template"])
        body = {"code": spec["code"], "nameZh": spec["name_zh"], "nameEn": spec["name_en"],
                "template": template, "temperatureRange": spec["temperature_range"]}
        loaded = CategoryIn().load(body)
        assert stored_steps(loaded["template"]) == template  # seeds are stored exactly as an admin's would be
        assert sum(len(step["fields"]) for step in template) == sum(map(len, EXTRA_FIELDS[spec["code"]].values()))


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
