"""Typed, frozen configuration read once from TRACE_* environment variables."""

from __future__ import annotations

import os
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
    photo_rate_limit: str = "600/minute"
    # A unit serial looked up more often than this shows a counterfeit warning on its page.
    counterfeit_threshold: int = 5
    # Seconds a worker may answer lookups from the log state it last read (a checkpoint's size and
    # root): new records and recalls show on pages at most this late; 0 reads it on every request.
    lookup_state_max_age: float = 1.0
    # Off only for load benchmarks on a private instance (TRACE_RATE_LIMIT_ENABLED=0).
    rate_limit_enabled: bool = True
    # Redis shared by every worker (lookup counters); None: each process counts and flushes its own.
    redis_url: str | None = None
    # Seconds between flushes of the lookup counters to the database (0: no flusher; tests flush themselves).
    lookup_flush_interval: float = 1.0
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto it trusts (0: none). Rate
    # limits key on the client address: behind a proxy without this, every client shares one.
    proxy_hops: int = 0
    bulk_limit: int = 1000
    # Sensor readings: mqtt://[user:password@]host[:port] or mqtts://... (TLS).
    mqtt_url: str = "mqtt://127.0.0.1:1883"
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
            ("photo_rate_limit", "TRACE_PHOTO_RATE_LIMIT"),
            ("secret_key", "TRACE_SECRET_KEY"),
            ("redis_url", "TRACE_REDIS_URL"),
        ):
            if env.get(name):
                values[key] = env[name]
        if env.get("TRACE_RATE_LIMIT_ENABLED"):
            values["rate_limit_enabled"] = _flag(env["TRACE_RATE_LIMIT_ENABLED"], "TRACE_RATE_LIMIT_ENABLED")
        for key, name, kind, what in (
            ("counterfeit_threshold", "TRACE_COUNTERFEIT_THRESHOLD", int, "an integer"),
            ("proxy_hops", "TRACE_PROXY_HOPS", int, "the number of proxies in front of the app"),
            ("lookup_state_max_age", "TRACE_LOOKUP_STATE_MAX_AGE", float, "a number of seconds"),
            ("lookup_flush_interval", "TRACE_LOOKUP_FLUSH_INTERVAL", float, "a number of seconds"),
            ("max_body_bytes", "TRACE_MAX_BODY_BYTES", int, "an integer"),
        ):
            if env.get(name):
                try:
                    values[key] = kind(env[name])
                except ValueError as exc:
                    raise ConfigError(f"{name} must be {what}") from exc
        if not 0 <= values.get("proxy_hops", 0) <= 5:
            raise ConfigError("TRACE_PROXY_HOPS must be between 0 and 5")
        return cls(**values)

    def with_(self, **changes: Any) -> Config:
        """Return a copy with some settings changed."""
        return replace(self, **changes)


def _flag(value: str, name: str) -> bool:
    """Return a yes/no setting; anything but the usual spellings is an error, not a silent default."""
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {value!r}")
