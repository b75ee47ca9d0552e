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


def test_lookup_state_max_age_defaults_to_a_second_and_reads_seconds() -> None:
    assert Config.from_env({}).lookup_state_max_age == 1.0
    assert Config.from_env({"TRACE_LOOKUP_STATE_MAX_AGE": "0"}).lookup_state_max_age == 0.0
    assert Config.from_env({"TRACE_LOOKUP_STATE_MAX_AGE": "2.5"}).lookup_state_max_age == 2.5
    with pytest.raises(ConfigError, match="TRACE_LOOKUP_STATE_MAX_AGE"):
        Config.from_env({"TRACE_LOOKUP_STATE_MAX_AGE": "soon"})


def test_proxy_hops_is_a_small_number() -> None:
    assert Config.from_env({}).proxy_hops == 0
    assert Config.from_env({"TRACE_PROXY_HOPS": "1"}).proxy_hops == 1
    for bad in ("many", "9", "-1"):
        with pytest.raises(ConfigError):
            Config.from_env({"TRACE_PROXY_HOPS": bad})


def test_public_url_is_configured_or_derived_from_the_served_host_and_port() -> None:
    assert Config.from_env({}).public_url == "http://127.0.0.1:5000"
    assert Config.from_env({"TRACE_PORT": "5101"}).public_url == "http://127.0.0.1:5101"
    assert Config.from_env({"TRACE_HOST": "192.168.3.7", "TRACE_PORT": "5101"}).public_url == "http://192.168.3.7:5101"
    # The configured public URL wins over what the server listens on (a proxy, a domain name).
    configured = {"TRACE_PUBLIC_URL": "https://trace.example.cn/", "TRACE_HOST": "0.0.0.0", "TRACE_PORT": "5101"}
    assert Config.from_env(configured).public_url == "https://trace.example.cn"
    with pytest.raises(ConfigError, match="TRACE_PORT"):
        Config.from_env({"TRACE_PORT": "http"})


def test_a_wildcard_host_becomes_an_address_a_phone_can_open(monkeypatch: pytest.MonkeyPatch) -> None:
    import trace.config

    monkeypatch.setattr(trace.config, "lan_address", lambda: "192.168.3.7")
    for wildcard in ("0.0.0.0", "::"):
        assert Config.from_env({"TRACE_HOST": wildcard, "TRACE_PORT": "5101"}).public_url == "http://192.168.3.7:5101"
    assert Config.from_env({"TRACE_HOST": "fe80::1", "TRACE_PORT": "80"}).public_url == "http://[fe80::1]:80"


def test_the_lan_address_is_an_ipv4_address_not_a_wildcard() -> None:
    import ipaddress

    from trace.config import lan_address

    address = ipaddress.ip_address(lan_address())
    assert address.version == 4 and not address.is_unspecified


def test_witnesses_are_verifier_keys_with_urls() -> None:
    from trace.ledger import generate_private_key, public_raw
    from trace.ledger.cosignature import witness_vkey

    one = witness_vkey("w1.example/witness", public_raw(generate_private_key()))
    two = witness_vkey("w2.example/witness", public_raw(generate_private_key()))
    config = Config.from_env({"TRACE_WITNESSES": f"{one} http://127.0.0.1:7380/;\n{two} https://w2.example",
                              "TRACE_WITNESS_QUORUM": "2"})
    assert config.witnesses == ((one, "http://127.0.0.1:7380"), (two, "https://w2.example"))
    assert config.witness_quorum == 2 and config.witness_interval == 3.0
    for bad in ({"TRACE_WITNESSES": one},  # no URL
                {"TRACE_WITNESSES": f"{one} ftp://x"},
                {"TRACE_WITNESSES": f"{one} http://a;{one} http://b"},  # the same witness twice
                {"TRACE_WITNESSES": f"{one[:-4]}AAA= http://a"},  # a damaged key
                {"TRACE_WITNESSES": f"{one} http://a", "TRACE_WITNESS_QUORUM": "2"},
                {"TRACE_WITNESS_INTERVAL": "0.1"}):
        with pytest.raises(ConfigError):
            Config.from_env(bad)
