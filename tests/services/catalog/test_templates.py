"""Category templates at the service level: versions, and checking stage data against the version named."""

from __future__ import annotations

import pytest

from trace.errors import PermissionDeniedError, ValidationError
from trace.services.catalog.templates import check_stage_data, get_template, list_versions, put_template

BRIX = {"name": "brix", "labelZh": "糖度", "labelEn": "Brix", "type": "number", "required": True,
        "min": "0", "max": "40"}


def _stages_with(session, code, stage, *defs):
    stages = [dict(step) for step in get_template(session, code).stages]
    for step in stages:
        if step["stage"] == stage:
            step["fields"] = [*step["fields"], *defs]
    return stages


def _check(session, batches, data, *, fill=True, stage="harvest"):
    return check_stage_data(session, stage, data, [b.product.category for b in batches],
                            present=lambda: data.keys(), fill=fill)


def test_versions_are_kept_and_only_admins_add_them(make, session):
    admin = make.actor("admin")
    with pytest.raises(PermissionDeniedError):
        put_template(session, make.actor("producer").user, "vegetables", _stages_with(session, "vegetables", "harvest"))
    first = get_template(session, "vegetables")
    stages = _stages_with(session, "vegetables", "harvest", BRIX)
    template, new = put_template(session, admin.user, "vegetables", stages)
    assert new and template.version == first.version + 1 and template.created_by == admin.user.id
    assert put_template(session, admin.user, "vegetables", list(template.stages)) == (template, False)
    assert [t.version for t in list_versions(session, "vegetables")] == [first.version, template.version]
    assert get_template(session, "vegetables", first.version).extra_fields("harvest") == []


def test_a_record_names_the_versions_of_every_category_whose_template_concerns_the_stage(make, session):
    producer = make.actor("producer")
    veg = make.batch(producer)
    kiwi = make.batch(producer, make.product(producer, "fruit", name="猕猴桃"))
    data = {"quantity": "1", "uom": "KGM", "extra": {"brix": 15}}
    # fruit's template defines brix: allowed on a record touching both; vegetables' alone does not.
    assert _check(session, [veg, kiwi], data) == {"extra": {"brix": "15"}, "templates": {"vegetables": 1, "fruit": 1}}
    with pytest.raises(ValidationError) as refused:
        _check(session, [veg], data)
    assert refused.value.errors == {"data": {"extra": {"brix": ["Not a field of this stage's template."]}}}
    # Storage is no part of vegetables' template entries: nothing to name.
    assert _check(session, [veg], {"warehouse": "冷库"}, stage="storage") == {}


def test_device_signed_data_is_never_rewritten(make, session):
    producer = make.actor("producer")
    kiwi = make.batch(producer, make.product(producer, "fruit", name="猕猴桃"))
    assert _check(session, [kiwi], {"quantity": "1", "uom": "KGM"}, fill=False) == {}
    given = {"quantity": "1", "uom": "KGM", "extra": {"brix": "12.5"}, "templates": {"fruit": 1}}
    assert _check(session, [kiwi], given, fill=False) == {}
    with pytest.raises(ValidationError) as refused:
        _check(session, [kiwi], {**given, "extra": {"brix": "12.50"}}, fill=False)
    assert refused.value.errors == {"data": {"extra": {"brix": ["Not in canonical form."]}}}


def test_a_required_field_is_checked_against_the_version_named(make, session):
    admin, producer = make.actor("admin"), make.actor("producer")
    veg = make.batch(producer)
    before = get_template(session, "vegetables").version
    put_template(session, admin.user, "vegetables", _stages_with(session, "vegetables", "harvest", BRIX))
    with pytest.raises(ValidationError) as refused:
        _check(session, [veg], {"quantity": "1", "uom": "KGM"})
    assert refused.value.errors == {"data": {"extra": {"brix": ["Required by the vegetables template."]}}}
    assert _check(session, [veg], {"quantity": "1", "uom": "KGM", "templates": {"vegetables": before}}) == {}
