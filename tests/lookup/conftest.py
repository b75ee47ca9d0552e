"""A batch with a full life (planting to sale, inspection, 合格证, cold chain) to look up, and helpers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Factory
from tests.lookup.helpers import Life, grow, new_life
from trace.extensions import limiter


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Every test with an app starts with full rate-limit allowances (all test requests come from one address)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app")
        limiter.reset()


@pytest.fixture()
def life(make: Factory, session: Any, ledger: Any) -> Life:
    return grow(new_life(make, session, ledger))
