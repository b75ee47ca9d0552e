"""MQTT subscriber for sensors (paho-mqtt 2.x, MQTT 5): at least once, acknowledged only after the commit.

``flask --app wsgi trace mqtt --broker mqtt://HOST:PORT`` runs ``run()`` with the handlers of
``trace.services.sensors`` (passed in: interop never imports services). The session is persistent
(a fixed client id, clean start off, a long session expiry): messages published while the ingest
is down wait at the broker. Messages are taken in batches; a batch is handed to ``handle`` in one
transaction, committed, and only then acknowledged (manual PUBACK), so a crash before the commit
means the broker delivers them again, and a crash after it means a redelivery the handler answers
"already". A lost connection is re-made with exponential backoff (1 s to 60 s); messages of an
older connection are not acknowledged on the new one (the broker redelivers them there).
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from flask import Flask
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.orm import Session

from trace.db import db, writing

log = logging.getLogger(__name__)
SESSION_EXPIRY = 7 * 24 * 3600  # seconds the broker keeps the session (and queued messages) of a stopped ingest
RECEIVE_MAXIMUM = 1000  # unacknowledged messages the broker may have in flight to us


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


def client_for(url: str, *, client_id: str | None = None, manual_ack: bool = False) -> tuple[mqtt.Client, Broker]:
    """Return an MQTT 5 client for a broker URL (not connected yet)."""
    broker = parse_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"suyuan-{uuid.uuid4().hex[:12]}",
                         protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=60)
    return client, broker


Handle = Callable[[Session, Any, Sequence[tuple[str, bytes]]], Sequence[Any]]  # -> outcomes with ``status``
Tick = Callable[[Session, Any], Sequence[Any]]  # periodic work (sealing windows) -> what it made


@dataclass
class _Item:
    generation: int
    message: mqtt.MQTTMessage


class Ingest:
    """A subscription whose messages are handled in batches and acknowledged after each batch's commit."""

    def __init__(self, app: Flask, url: str, *, topic: str, handle: Handle, tick: Tick | None = None,
                 client_id: str = "suyuan-ingest", batch: int = 500, tick_every: float = 30.0) -> None:
        self.app, self.topic, self.handle, self.tick = app, topic, handle, tick
        self.batch, self.tick_every = batch, tick_every
        self.ledger = app.extensions["trace.ledger"]
        self.inbox: queue.Queue[_Item] = queue.Queue()
        self.generation = 0
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.totals: Counter[str] = Counter()
        self.client, self.broker = client_for(url, client_id=client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # --- network thread ---------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        self.generation += 1
        log.info("connected to %s:%s (session present: %s)", self.broker.host, self.broker.port,
                 flags.session_present)
        client.subscribe(self.topic, qos=1)
        self.connected.set()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(_Item(self.generation, message))

    # --- worker -----------------------------------------------------------------------------
    def start(self) -> None:
        """Connect (retrying with backoff until the broker answers) and start the network thread."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30, clean_start=False,
                                  properties=props)
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Handle messages until ``stop()`` (or Ctrl-C); then disconnect, leaving the session at the broker."""
        self.start()
        last_tick = time.monotonic()
        failures = 0
        try:
            while not self.stopping.is_set():
                items = self._take()
                if items and not self._handle(items):
                    failures += 1
                    time.sleep(min(60.0, 0.5 * 2 ** failures))  # the database is away: back off, retry
                    for item in items:
                        self.inbox.put(item)
                    continue
                failures = 0
                if self.tick is not None and time.monotonic() - last_tick >= self.tick_every:
                    last_tick = time.monotonic()
                    self._tick()
        except KeyboardInterrupt:
            pass
        finally:
            self.stopping.set()
            self.client.disconnect()
            self.client.loop_stop()

    def _take(self) -> list[_Item]:
        try:
            items = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + 0.05
        while len(items) < self.batch:
            try:
                items.append(self.inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return items

    def _handle(self, items: list[_Item]) -> bool:
        """Handle and commit a batch, then acknowledge it; False if it could not be committed."""
        with self.app.app_context(), writing():
            try:
                outcomes = self.handle(db.session(), self.ledger, [(i.message.topic, i.message.payload)
                                                                   for i in items])
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("a batch of %s sensor messages failed; retrying", len(items))
                return False
        self.totals.update(str(getattr(o, "status", "handled")) for o in outcomes)
        current = self.generation
        for item in items:
            if item.generation == current:  # an older connection's message comes again on this one
                self.client.ack(item.message.mid, item.message.qos)
        return True

    def _tick(self) -> None:
        assert self.tick is not None
        with self.app.app_context(), writing():
            try:
                made = self.tick(db.session(), self.ledger)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("sealing sensor windows failed; trying again later")
                return
        if made:
            log.info("%s window records made; so far %s", len(made), dict(self.totals))


def run(app: Flask, url: str, *, topic: str, handle: Handle, tick: Tick | None = None,
        client_id: str = "suyuan-ingest", tick_every: float = 30.0) -> None:
    """Subscribe to topic and handle messages until interrupted."""
    Ingest(app, url, topic=topic, handle=handle, tick=tick, client_id=client_id, tick_every=tick_every).run()
