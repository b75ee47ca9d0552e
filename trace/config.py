"""Typed, frozen configuration read once from TRACE_* environment variables."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """The environment holds an unusable setting."""


@dataclass(frozen=True)
class Config:
    """Everything the app needs to know about its environment."""

    instance_path: Path = REPO_ROOT / "instance"
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:5000"
    master_key: str | None = None
    log_origin: str = "suyuan.localhost/log"
    max_body_bytes: int = 2 * 1024 * 1024
    rate_limit_storage: str = "memory://"
    public_rate_limit: str = "120/minute"
    feedback_rate_limit: str = "5/minute;30/hour"
    # Console sign-in attempts per client address (each account also locks itself after failures).
    sign_in_rate_limit: str = "10/minute;100/hour"
    # A unit serial looked up more often than this shows a counterfeit warning on its page.
    counterfeit_threshold: int = 5
    # Seconds a worker may answer lookups from the log state it last read (a checkpoint's size and
    # root): new records and recalls show on pages at most this late; 0 reads it on every request.
    lookup_state_max_age: float = 1.0
    # Off only for load benchmarks on a private instance (TRACE_RATE_LIMIT_ENABLED=0).
    rate_limit_enabled: bool = True
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto it trusts (0: none). Rate
    # limits key on the client address: behind a proxy without this, every client shares one.
    proxy_hops: int = 0
    bulk_limit: int = 1000
    # Sensor readings: mqtt://[user:password@]host[:port] or mqtts://... (TLS).
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    # Witnesses (c2sp.org/tlog-witness) that cosign the log's checkpoints: (verifier key, URL) each.
    witnesses: tuple[tuple[str, str], ...] = ()
    # How many witnesses' cosignatures make a checkpoint count as witnessed.
    witness_quorum: int = 1
    # Seconds between rounds of `trace witness publish` (never per request).
    witness_interval: float = 3.0
    testing: bool = False
    secret_key: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        """Return the database URL, defaulting to an SQLite file in the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'suyuan.sqlite3'}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Build the configuration from TRACE_* variables."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("TRACE_INSTANCE_PATH"):
            values["instance_path"] = Path(env["TRACE_INSTANCE_PATH"]).resolve()
        if env.get("TRACE_DATABASE_URL"):
            url = env["TRACE_DATABASE_URL"]
            if not url.startswith(("sqlite", "postgresql+psycopg://")):
                raise ConfigError("TRACE_DATABASE_URL must be sqlite:///... or postgresql+psycopg://...")
            values["database_url"] = url
        if env.get("TRACE_PUBLIC_URL"):
            url = env["TRACE_PUBLIC_URL"].rstrip("/")
            if not url.startswith(("http://", "https://")):
                raise ConfigError("TRACE_PUBLIC_URL must start with http:// or https://")
            values["public_url"] = url
        elif env.get("TRACE_HOST") or env.get("TRACE_PORT"):
            values["public_url"] = served_url(env.get("TRACE_HOST") or "127.0.0.1", env.get("TRACE_PORT") or "5000")
        if env.get("TRACE_MQTT_URL"):
            if not env["TRACE_MQTT_URL"].startswith(("mqtt://", "mqtts://")):
                raise ConfigError("TRACE_MQTT_URL must be mqtt://host[:port] or mqtts://host[:port]")
            values["mqtt_url"] = env["TRACE_MQTT_URL"]
        for key, name in (
            ("master_key", "TRACE_MASTER_KEY"),
            ("log_origin", "TRACE_LOG_ORIGIN"),
            ("rate_limit_storage", "TRACE_RATE_LIMIT_STORAGE"),
            ("public_rate_limit", "TRACE_PUBLIC_RATE_LIMIT"),
            ("feedback_rate_limit", "TRACE_FEEDBACK_RATE_LIMIT"),
            ("sign_in_rate_limit", "TRACE_SIGN_IN_RATE_LIMIT"),
            ("secret_key", "TRACE_SECRET_KEY"),
        ):
            if env.get(name):
                values[key] = env[name]
        if env.get("TRACE_WITNESSES"):
            values["witnesses"] = parse_witnesses(env["TRACE_WITNESSES"])
        if env.get("TRACE_RATE_LIMIT_ENABLED"):
            values["rate_limit_enabled"] = _flag(env["TRACE_RATE_LIMIT_ENABLED"], "TRACE_RATE_LIMIT_ENABLED")
        for key, name, kind, what in (
            ("counterfeit_threshold", "TRACE_COUNTERFEIT_THRESHOLD", int, "an integer"),
            ("proxy_hops", "TRACE_PROXY_HOPS", int, "the number of proxies in front of the app"),
            ("lookup_state_max_age", "TRACE_LOOKUP_STATE_MAX_AGE", float, "a number of seconds"),
            ("max_body_bytes", "TRACE_MAX_BODY_BYTES", int, "an integer"),
            ("witness_quorum", "TRACE_WITNESS_QUORUM", int, "an integer"),
            ("witness_interval", "TRACE_WITNESS_INTERVAL", float, "a number of seconds"),
        ):
            if env.get(name):
                try:
                    values[key] = kind(env[name])
                except ValueError as exc:
                    raise ConfigError(f"{name} must be {what}") from exc
        if not 0 <= values.get("proxy_hops", 0) <= 5:
            raise ConfigError("TRACE_PROXY_HOPS must be between 0 and 5")
        witnesses = len(values.get("witnesses", ()))
        if witnesses and not 1 <= values.get("witness_quorum", 1) <= witnesses:
            raise ConfigError("TRACE_WITNESS_QUORUM must be between 1 and the number of witnesses")
        if values.get("witness_interval", 3.0) < 1:
            raise ConfigError("TRACE_WITNESS_INTERVAL must be at least 1 second")
        return cls(**values)

    def with_(self, **changes: Any) -> Config:
        """Return a copy with some settings changed."""
        return replace(self, **changes)


# Addresses a server listens on that no phone can open: the machine's LAN address stands in.
_ANY_ADDRESS = ("0.0.0.0", "::", "[::]", "")


def served_url(host: str, port: str) -> str:
    """Return the public URL of a server listening on host:port (what ``make run HOST= PORT=`` passes).

    A wildcard host (0.0.0.0, ::) is replaced by the machine's LAN address, so printed QR codes
    open from a phone on the same network.
    """
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"TRACE_PORT must be a port number, got {port!r}")
    host = host.strip()
    if host in _ANY_ADDRESS:
        host = lan_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{int(port)}"


def lan_address() -> str:
    """Return the address this machine's default route leaves from (127.0.0.1 when it has none).

    Connecting a UDP socket only picks the route: no packet is sent.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
    return "127.0.0.1" if address.startswith("0.") else address


def parse_witnesses(text: str) -> tuple[tuple[str, str], ...]:
    """Read ``TRACE_WITNESSES``: entries ``VKEY URL`` separated by ``;`` or newlines.

    The verifier key (``name+hash+base64``, type 0x04) names the witness and holds its public key;
    the URL is its submission prefix (``POST URL/add-checkpoint``).
    """
    from trace.ledger import LedgerError
    from trace.ledger.cosignature import parse_witness_vkey

    found = []
    for item in text.replace("\n", ";").split(";"):
        if not item.strip():
            continue
        parts = item.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise ConfigError(f"TRACE_WITNESSES entries are 'VKEY URL', got {item.strip()!r}")
        try:
            parse_witness_vkey(parts[0])
        except LedgerError as exc:
            raise ConfigError(f"TRACE_WITNESSES: {exc}") from exc
        found.append((parts[0], parts[1].rstrip("/")))
    names = [vkey.split("+", 1)[0] for vkey, _ in found]
    if len(set(names)) != len(names):
        raise ConfigError("TRACE_WITNESSES names a witness twice")
    return tuple(found)


def _flag(value: str, name: str) -> bool:
    """Return a yes/no setting; anything but the usual spellings is an error, not a silent default."""
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {value!r}")
