"""The installed client against a real server process: offline, kills, refusals, serial scanners.

Each test drives ``python -m scanner_client`` as an operator's PC would (piped standard input,
a pty standing in for a serial scanner) and reads the server's database to count what arrived.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
import urllib.request
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_client.records import key_id as make_key_id
from scanner_client.records import public_raw, sign_record

STORE = "SYCMD:MODE:STORE\r\nSYCMD:LOC:{location}:%E5%86%B7%E5%BA%93\r\n"


def scans(server, count: int) -> str:
    """Return what a wedge types for ``count`` storage scans of the world's batches (CR LF after each)."""
    batches = server.world["batches"]
    lines = [STORE.format(location=server.world["location"])]
    lines += [f"]Q1https://trace.example.cn/T/{batches[i % len(batches)]}\r\n" for i in range(count)]
    return "".join(lines)


def wait_for(predicate, timeout: float = 120.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def post(server, path: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(server.url + "/api/v1" + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def test_scans_made_offline_are_kept_and_arrive_exactly_once(server, scanner):
    server.kill()
    try:
        done = scanner.run("run", "--dedup-seconds", "0", stdin=scans(server, 12) + "NOT-A-CODE\r\n")
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("✓ Recorded") == 12 and "✗ Unrecognised barcode" in done.stdout
        assert scanner.outbox() == {"waiting": 12}
        assert "Waiting: 12" in scanner.run("status").stdout
        assert scanner.run("sync", "--once").returncode == 3  # unreachable: kept, nothing lost
        assert scanner.outbox() == {"waiting": 12}
    finally:
        server.start()
    done = scanner.run("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "12 accepted" in done.stdout
    assert scanner.outbox() == {"accepted": 12}
    assert len(server.device_events(scanner.key_name)) == 12
    assert scanner.run("sync", "--once").returncode == 0
    assert len(server.device_events(scanner.key_name)) == 12
    status = scanner.run("status").stdout
    assert "Waiting: 0" in status and "Accepted: 12" in status


@pytest.mark.slow
def test_killing_the_client_mid_sync_loses_and_duplicates_nothing(server, scanner):
    count = 400
    done = scanner.run("run", "--no-sync", "--dedup-seconds", "0", stdin=scans(server, count))
    assert done.returncode == 0 and scanner.outbox() == {"waiting": count}
    syncing = scanner.start("sync", SUYUAN_SCANNER_CHUNK="10")
    wait_for(lambda: scanner.outbox().get("accepted", 0) >= 30 or syncing.poll() is not None, step=0.01)
    syncing.send_signal(signal.SIGKILL)
    syncing.communicate()
    interrupted = scanner.outbox()
    assert interrupted.get("waiting", 0) > 0, "the sync finished before it was killed"
    done = scanner.run("sync", "--once")
    assert done.returncode == 0, done.stderr
    settled = scanner.outbox()
    assert set(settled) <= {"accepted", "already"} and sum(settled.values()) == count
    events = server.device_events(scanner.key_name)
    assert len(events) == len(set(events)) == count
    logged = server.query("SELECT COUNT(*) FROM log_entries WHERE event_id IN (SELECT id FROM events WHERE actor = ?)",
                          f"device:{scanner.key_name}")[0][0]
    assert logged == count


@pytest.mark.slow
def test_killing_the_server_mid_upload_loses_and_duplicates_nothing(server, scanner):
    count = 400
    done = scanner.run("run", "--no-sync", "--dedup-seconds", "0", stdin=scans(server, count))
    assert done.returncode == 0
    syncing = scanner.start("sync", SUYUAN_SCANNER_CHUNK="10")
    try:
        wait_for(lambda: len(server.device_events(scanner.key_name)) >= 30, step=0.01)
        server.kill()
        assert scanner.outbox().get("waiting", 0) > 0, "the upload finished before the server was killed"
        time.sleep(0.5)
    finally:
        server.start()
    out, err = syncing.communicate(timeout=300)
    assert syncing.returncode == 0, err
    assert "unreachable" in err.lower()  # it waited, with backoff, for the server to come back
    settled = scanner.outbox()
    assert set(settled) <= {"accepted", "already"} and sum(settled.values()) == count
    events = server.device_events(scanner.key_name)
    assert len(events) == len(set(events)) == count


def test_a_refused_record_does_not_hold_back_the_others(server, scanner):
    stranger = "GEMPGQ9AHA04Z"  # a well-formed code no batch has
    typed = scans(server, 3) + f"{stranger}\r\n" + f"{server.world['batches'][5]}\r\n"
    done = scanner.run("run", "--dedup-seconds", "0", stdin=typed)
    assert done.returncode == 0, done.stderr
    assert scanner.outbox() == {"accepted": 4, "refused": 1}
    status = scanner.run("status").stdout
    assert "Refused: 1" in status and stranger in status and "Unknown batch" in status


def test_forged_replayed_and_revoked_device_records_are_refused(server, scanner):
    done = scanner.run("run", "--dedup-seconds", "0", stdin=scans(server, 1))
    assert scanner.outbox() == {"accepted": 1}
    with sqlite3.connect(scanner.home / "outbox.sqlite3") as db:
        record = json.loads(db.execute("SELECT record FROM outbox").fetchone()[0])
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex((scanner.home / "device.key").read_text().strip()))
    keyid = make_key_id(scanner.key_name, public_raw(private))
    other = {**record, "data": {"warehouse": "别处"}}
    forged = {"record": {**record, "id": str(uuid.uuid4())}, "signature": {"keyId": keyid,
                                                                          "sig": sign_record(private, record)}}
    replayed = {"record": other, "signature": {"keyId": keyid, "sig": sign_record(private, other)}}
    answers = post(server, "/devices/records", {"records": [forged, replayed]})["items"]
    assert [(a["status"], a["code"]) for a in answers] == [("refused", 401), ("refused", 409)]
    devices = json.loads(urllib.request.urlopen(urllib.request.Request(
        server.url + "/api/v1/devices", headers={"Authorization": f"Bearer {server.world['token']}"})).read())
    (mine,) = [d for d in devices["items"] if d["keyName"] == scanner.key_name]
    post(server, f"/devices/{mine['id']}/revoke", {"reason": "lost"}, token=server.world["token"])
    done = scanner.run("run", "--dedup-seconds", "0", stdin=f"{server.world['batches'][1]}\r\n")
    assert done.returncode == 0
    assert scanner.outbox() == {"accepted": 1, "refused": 1}
    assert "revoked" in scanner.run("status").stdout
    refusals = server.query("SELECT reason FROM device_refusals WHERE key_id = ?", keyid)
    assert len(refusals) == 2  # the forged one and the revoked device's, each logged
    assert len(server.device_events(scanner.key_name)) == 1


def test_a_serial_scanner_through_a_pty(server, scanner):
    master, slave = os.openpty()
    port = os.ttyname(slave)
    running = scanner.start("run", "--serial", port, "--plain", "--dedup-seconds", "0")
    try:
        assert running.stdout.readline().startswith("Ready for scans")  # the port is open (opening flushes it)
        typed = scans(server, 3).replace("\r\n", "\r") + f"]C101{server.world['gtin']}10{server.world['lots'][2]}\r"
        os.write(master, typed.encode())
        wait_for(lambda: scanner.outbox() == {"accepted": 4}, timeout=60)
    finally:
        os.close(master)
        os.close(slave)
        out, err = running.communicate(timeout=60)
    assert out.count("✓ Recorded") == 4, (out, err)
    assert len(server.device_events(scanner.key_name)) == 4
