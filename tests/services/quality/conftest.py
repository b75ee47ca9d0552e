"""Fixtures for the quality tests: a county with a laboratory, an inspector and a producer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Factory
from tests.services.quality.helpers import LAB_NAME, County, Made, made


@pytest.fixture()
def county(make: Factory, client: Any) -> County:
    lab_org = make.org("inspection_agency", name=LAB_NAME)
    return County(make, client, make.actor("producer"), make.actor("producer"),
                  make.actor("lab", lab_org), make.actor("lab", make.org("inspection_agency", name="外县检测中心")),
                  make.actor("inspector", make.org("authority", name="松阳县农业农村局")))


@pytest.fixture()
def world(county: County) -> Made:
    return made(county)
