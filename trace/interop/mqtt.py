"""MQTT subscriber for temperature loggers (paho-mqtt 2.x): each message becomes a signed record.

``flask --app wsgi trace mqtt`` runs ``run()`` with the message handler and topic of
``trace.services.records.sensors`` (passed in: interop never imports services); the handling itself
is testable without a broker.
"""

from __future__ import annotations

import logging
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from flask import Flask
from sqlalchemy.orm import Session

from trace.db import db, writing
from trace.errors import TraceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None


def parse_url(url: str) -> Broker:
    """Return the broker of an ``mqtt://[user:password@]host[:port]`` or ``mqtts://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"not an MQTT URL: {url!r} (mqtt://host:1883 or mqtts://host:8883)")
    tls = parts.scheme == "mqtts"
    return Broker(parts.hostname, parts.port or (8883 if tls else 1883), tls,
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None)


def connect(url: str, deliver: Callable[[str, bytes], None], *, topic: str,
            client_id: str | None = None) -> mqtt.Client:
    """Return a connected client that subscribes to ``topic`` (at least once) and hands each message to deliver.

    The subscription is renewed on every reconnect; call ``loop_forever()`` or ``loop_start()``.
    """
    broker = parse_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"suyuan-{uuid.uuid4().hex[:12]}")
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)

    def on_connect(c: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        c.subscribe(topic, qos=1)

    def on_message(_c: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        deliver(msg.topic, msg.payload)

    client.on_connect = on_connect
    client.on_message = on_message
    client.reconnect_delay_set(min_delay=1, max_delay=60)
    client.connect(broker.host, broker.port, keepalive=60)
    return client


Handler = Callable[[Session, Any, str, bytes], Any]  # (session, ledger config, topic, payload) -> event or None


def recorder(app: Flask, handle: Handler) -> Callable[[str, bytes], None]:
    """Return a deliver callback that hands each message to handle in its own transaction."""
    ledger = app.extensions["trace.ledger"]

    def deliver(topic: str, payload: bytes) -> None:
        with app.app_context(), writing():
            try:
                event = handle(db.session(), ledger, topic, payload)
                event_id = event.id if event is not None else None
                db.session.commit()
            except TraceError as exc:
                db.session.rollback()
                log.warning("sensor message on %s refused: %s %s", topic, exc.detail, exc.errors or "")
                return
            except Exception:
                db.session.rollback()
                log.exception("sensor message on %s failed", topic)
                return
        if event_id is None:
            log.info("readings on %s: no batch is loaded in that vehicle; dropped", topic)
        else:
            log.info("readings on %s recorded as %s", topic, event_id)

    return deliver


def run(app: Flask, url: str, *, topic: str, handle: Handler) -> None:
    """Subscribe to topic and hand each message to handle until interrupted."""
    client = connect(url, recorder(app, handle), topic=topic)
    try:
        client.loop_forever(retry_first_connection=True)
    except KeyboardInterrupt:
        client.disconnect()
