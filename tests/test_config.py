"""Configuration from TRACE_* variables: the rate-limit switch is on unless explicitly turned off."""

from __future__ import annotations

import pytest

from trace.config import Config, ConfigError


def test_rate_limiting_is_on_by_default() -> None:
    assert Config.from_env({}).rate_limit_enabled is True


@pytest.mark.parametrize(("value", "enabled"), [("0", False), ("false", False), ("Off", False), ("no", False),
                                                ("1", True), ("true", True), ("ON", True), ("yes", True)])
def test_rate_limiting_switch(value: str, enabled: bool) -> None:
    assert Config.from_env({"TRACE_RATE_LIMIT_ENABLED": value}).rate_limit_enabled is enabled


@pytest.mark.parametrize("value", ["disabled", "2", "nope"])
def test_an_unreadable_switch_is_an_error_not_a_default(value: str) -> None:
    with pytest.raises(ConfigError, match="TRACE_RATE_LIMIT_ENABLED"):
        Config.from_env({"TRACE_RATE_LIMIT_ENABLED": value})
