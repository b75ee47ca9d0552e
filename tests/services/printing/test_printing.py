"""What the 合格证 states by default: the origin says each place once, the contact has no placeholder."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from trace.services.printing.printing import default_contact, default_origin


def batch(plot: str | None, village: str | None = "横山村", name: str | None = "叶建华") -> SimpleNamespace:
    org = SimpleNamespace(province="浙江省", county="松阳县", township="新兴镇", village=village,
                          contact_name=name, contact_phone="0578-8000011")
    return SimpleNamespace(organization=org, origin={"name": plot} if plot is not None else None)


@pytest.mark.parametrize(("plot", "village", "origin"), [
    ("横山村茶园3号地块", "横山村", "浙江省松阳县新兴镇横山村茶园3号地块"),  # the village once, not twice
    ("新兴镇横山村茶园", "横山村", "浙江省松阳县新兴镇横山村茶园"),
    ("3号地块", "横山村", "浙江省松阳县新兴镇横山村 3号地块"),
    ("大棚7号", None, "浙江省松阳县新兴镇 大棚7号"),
    (None, "横山村", "浙江省松阳县新兴镇横山村"),
    ("", "横山村", "浙江省松阳县新兴镇横山村"),
])
def test_the_origin_names_each_place_once(plot, village, origin):
    assert default_origin(batch(plot, village)) == origin


def test_the_contact_is_the_person_and_phone_or_the_phone_alone():
    assert default_contact(batch("x")) == "叶建华 0578-8000011"
    assert default_contact(batch("x", name=None)) == "0578-8000011"
    assert "联系人" not in default_contact(batch("x", name=None))
