"""Console tests start with full rate-limit allowances (every test request comes from one address)."""

from __future__ import annotations

import pytest

from trace.extensions import limiter


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    if "app" in request.fixturenames:
        request.getfixturevalue("app")
        limiter.reset()
