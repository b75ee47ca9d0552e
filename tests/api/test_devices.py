"""Scanner devices: enrolment, listing, revocation; device records answered per item; resolve; locations."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_client.records import build_record, public_raw, sign_record
from tests.api.helpers import assert_problem
from trace import ledger
from trace.models import Batch, DeviceRefusal, Event, LogEntry
from trace.services.printing.labels import issue_labels


class Scanner:
    """A device as the client makes one: a key, enrolled through the API, signing records."""

    def __init__(self, client: Any, actor: Any, name: str = "gate-1") -> None:
        self.private = Ed25519PrivateKey.generate()
        r = client.post("/api/v1/devices", json={"name": name,
                                                 "publicKey": base64.b64encode(public_raw(self.private)).decode()},
                        headers=actor.headers)
        assert r.status_code == 201, r.json
        self.key, self.org, self.client = r.json, str(actor.org.id), client
        self.key_raw = public_raw(self.private)

    def record(self, mode: str, batch: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        scanned = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        return build_record(record_id=str(uuid.uuid4()), mode=mode, batch=batch, scanned_at=scanned, org=self.org,
                            actor=f"device:{self.key['name']}", data=data, **extra)

    def item(self, record: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"record": record, "signature": {"keyId": self.key["keyId"], "sig": sign_record(self.private, record)},
                **extra}

    def upload(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.client.post("/api/v1/devices/records", json={"records": list(items)})
        assert r.status_code == 200, r.json
        return r.json["items"]


def device_events(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.actor.like("device:%")))


def test_enrol_list_and_revoke_devices(client, make, session):
    producer, other, admin, inspector = make.actor(), make.actor(), make.actor("admin"), make.actor("inspector")
    scanner = Scanner(client, producer)
    Scanner(client, other, "dock-2")
    mine = client.get("/api/v1/devices", headers=producer.headers).json["items"]
    assert [(d["name"], d["keyId"], d["revokedAt"]) for d in mine] == [("gate-1", scanner.key["keyId"], None)]
    assert {d["name"] for d in client.get("/api/v1/devices", headers=admin.headers).json["items"]} >= {"gate-1",
                                                                                                     "dock-2"}
    assert_problem(client.get("/api/v1/devices", headers=inspector.headers), 403, "forbidden")
    device_id = scanner.key["device"]
    r = client.post(f"/api/v1/devices/{device_id}/revoke", json={"reason": "lost"}, headers=other.headers)
    assert_problem(r, 403, "forbidden")
    r = client.post(f"/api/v1/devices/{device_id}/revoke", json={"reason": "lost"}, headers=producer.headers)
    assert r.status_code == 200 and r.json["revokedAt"]
    revocation = [ledger.parse_leaf(leaf)[0] for leaf in session.scalars(sa.select(LogEntry.leaf)
                                                                          .where(LogEntry.kind == "key"))]
    assert any(rec["action"] == "revoke" and rec["key"]["keyId"] == scanner.key["keyId"] for rec in revocation)


def test_records_are_answered_one_by_one(client, make, session):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    first, second = make.batch(producer), make.batch(producer)
    scanner = Scanner(client, producer)
    good = scanner.record("receive", first.trace_code, {"from": market.org.id})
    stored = scanner.record("ship", second.trace_code, {"recipient": market.org.id})
    forged = scanner.record("receive", first.trace_code, {"from": market.org.id})
    forged_item = {**scanner.item(forged), "record": {**forged, "data": {"from": producer.org.id}}}
    unknown = scanner.record("receive", "0000000000000", {"from": market.org.id})
    answers = scanner.upload(scanner.item(good), forged_item, scanner.item(unknown), scanner.item(stored))
    session.expire_all()
    assert [a["status"] for a in answers] == ["accepted", "refused", "refused", "accepted"]
    assert [a["id"] for a in answers] == [good["id"], forged["id"], unknown["id"], stored["id"]]
    assert answers[1]["code"] == 401 and "signature" in answers[1]["reason"]
    assert answers[2]["code"] == 422 and "batch" in answers[2]["reason"].lower()
    assert answers[0]["receivedAt"] and answers[0]["logIndex"] is not None
    event = session.get(Event, good["id"])
    assert event.actor == f"device:{scanner.key['name']}"
    assert event.occurred_at == dt.datetime.fromisoformat(good["occurredAt"])  # the time it was scanned
    assert event.recorded_at > event.occurred_at  # and the time it was received
    record, signatures = ledger.parse_leaf(session.scalar(sa.select(LogEntry.leaf)
                                                          .where(LogEntry.event_id == good["id"])))
    assert {k: v for k, v in record.items() if k not in ("recordedAt", "prev")} == good
    assert len(signatures) == 2 and signatures[1]["keyId"] == scanner.key["keyId"]  # organization, then device
    assert session.get(Batch, second.id).custodian_id == market.org.id
    refusal = session.scalar(sa.select(DeviceRefusal).where(DeviceRefusal.record_id == forged["id"]))
    assert refusal is not None and refusal.key_id == scanner.key["keyId"]


def test_a_replay_is_already_recorded_and_other_content_under_the_same_id_is_refused(client, make, session):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer)
    scanner = Scanner(client, producer)
    record = scanner.record("receive", batch.trace_code, {"from": market.org.id})
    assert scanner.upload(scanner.item(record))[0]["status"] == "accepted"
    before = (device_events(session), session.scalar(sa.select(sa.func.count()).select_from(LogEntry)))
    again = scanner.upload(scanner.item(record))[0]
    assert again["status"] == "already" and again["logIndex"] is not None
    other = {**record, "data": {"from": market.org.id, "quantity": "3", "uom": "KGM"}}
    answer = scanner.upload(scanner.item(other))[0]
    assert answer["status"] == "refused" and answer["code"] == 409
    assert (device_events(session), session.scalar(sa.select(sa.func.count()).select_from(LogEntry))) == before


def test_revoked_and_unknown_devices_are_refused_and_logged(client, make, session):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer)
    scanner = Scanner(client, producer)
    r = client.post(f"/api/v1/devices/{scanner.key['device']}/revoke", json={"reason": "stolen"},
                    headers=producer.headers)
    assert r.status_code == 200
    record = scanner.record("receive", batch.trace_code, {"from": market.org.id})
    stranger = Ed25519PrivateKey.generate()
    unknown = {"record": record, "signature": {"keyId": "ab" * 32, "sig": sign_record(stranger, record)}}
    answers = scanner.upload(scanner.item(record), unknown)
    assert [(a["status"], a["code"]) for a in answers] == [("refused", 401), ("refused", 401)]
    assert "revoked" in answers[0]["reason"] and "not enrolled" in answers[1]["reason"]
    reasons = session.scalars(sa.select(DeviceRefusal.reason).where(DeviceRefusal.record_id == record["id"])).all()
    assert len(reasons) == 2
    assert device_events(session) == 0


def test_a_record_must_claim_the_device_and_its_organization(client, make, session):
    producer, other = make.actor(), make.actor()
    batch = make.batch(producer)
    scanner = Scanner(client, producer)
    wrong_org = {**scanner.record("store", batch.trace_code, {"warehouse": "库"}), "org": str(other.org.id)}
    late = {**scanner.record("store", batch.trace_code, {"warehouse": "库"}), "recordedAt": "2026-01-01T00:00:00Z"}
    harvest = {**scanner.record("store", batch.trace_code, {}), "stage": "harvest"}
    answers = scanner.upload(*(scanner.item(r) for r in (wrong_org, late, harvest)))
    assert [a["status"] for a in answers] == ["refused"] * 3
    assert "org" in answers[0]["reason"] and "recordedAt" in answers[1]["reason"] and "harvest" in answers[2]["reason"]
    assert device_events(session) == 0


def test_a_unit_serial_is_refused_naming_its_batch(client, make, session):
    producer = make.actor()
    batch = make.batch(producer, quantity="20", uom="H87")
    _, units = issue_labels(session, producer.user, batch, 2)
    session.commit()
    scanner = Scanner(client, producer)
    answer = scanner.upload(scanner.item(scanner.record("sell", units[0].serial, {"channel": "market"})))[0]
    assert answer["status"] == "refused" and answer["unitOf"] == batch.trace_code
    sale = scanner.record("sell", batch.trace_code, {"channel": "market", "quantity": "1", "uom": "H87"})
    got = scanner.upload(scanner.item(sale))[0]
    assert got["status"] == "accepted", got
    session.expire_all()
    assert session.get(Batch, batch.id).available == Decimal(19)


def test_shipping_part_of_a_batch_splits_it_first(client, make, session):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer, quantity="100")
    scanner = Scanner(client, producer)
    part = "GEMPGQ9AHA04Z"
    record = scanner.record("ship", part, {"recipient": market.org.id, "quantity": "30", "uom": "KGM",
                                           "splitFrom": batch.trace_code})
    assert scanner.upload(scanner.item(record))[0]["status"] == "accepted"
    session.expire_all()
    shipped = session.scalar(sa.select(Batch).where(Batch.trace_code == part))
    assert shipped.quantity == Decimal(30) and shipped.custodian_id == market.org.id
    assert session.get(Batch, batch.id).available == Decimal(70)
    assert session.get(Batch, batch.id).custodian_id == producer.org.id
    logged, signatures = ledger.parse_leaf(session.scalar(sa.select(LogEntry.leaf)
                                                          .where(LogEntry.event_id == record["id"])))
    assert logged["data"]["splitFrom"] == batch.trace_code  # the source is in what the device signed
    assert ledger.verify_record(scanner.key_raw, ledger.device_view(logged),
                                base64.b64decode(signatures[1]["sig"]))
    assert scanner.upload(scanner.item(record))[0]["status"] == "already"
    session.expire_all()
    assert session.get(Batch, batch.id).available == Decimal(70)
    too_much = scanner.record("ship", "S82760271FFMB", {"recipient": market.org.id, "quantity": "80", "uom": "KGM",
                                                         "splitFrom": batch.trace_code})
    answer = scanner.upload(scanner.item(too_much))[0]
    assert answer["status"] == "refused" and "available" in answer["reason"]


def test_a_split_is_bound_by_the_device_signature(client, make, session):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    product = make.product(producer)
    source, other = make.batch(producer, product, quantity="100"), make.batch(producer, product, quantity="100")
    scanner = Scanner(client, producer)
    signed = scanner.record("ship", "GEMPGQ9AHA04Z", {"recipient": market.org.id, "quantity": "30", "uom": "KGM",
                                                      "splitFrom": source.trace_code})
    # The upload says to split another batch than the device signed: refused and logged as tampering.
    repointed = scanner.item(signed, split={"from": other.trace_code, "quantity": "30", "uom": "KGM"})
    # The signed record itself changed to name another source: its signature no longer holds.
    edited = {**scanner.item(signed), "record": {**signed, "data": {**signed["data"], "splitFrom": other.trace_code}}}
    # An older client's split beside a record that does not name it: not signed, so not taken.
    unsigned = scanner.record("ship", "7N15HDRSW67QK", {"recipient": market.org.id, "quantity": "5", "uom": "KGM"})
    legacy = scanner.item(unsigned, split={"from": source.trace_code, "quantity": "5", "uom": "KGM"})
    answers = scanner.upload(repointed, edited, legacy)
    assert [(a["status"], a["code"]) for a in answers] == [("refused", 422), ("refused", 401), ("refused", 422)]
    assert "signed" in answers[0]["reason"] and "signed" in answers[2]["reason"]
    session.expire_all()
    assert session.get(Batch, source.id).available == session.get(Batch, other.id).available == Decimal(100)
    assert session.scalar(sa.select(Batch).where(Batch.trace_code.in_(["GEMPGQ9AHA04Z", "7N15HDRSW67QK"]))) is None
    logged = list(session.scalars(sa.select(DeviceRefusal.reason).where(DeviceRefusal.record_id == signed["id"])))
    assert len(logged) == 2 and any("split" in reason for reason in logged)  # the re-pointing and the edit
    # The same signed record uploaded as it was signed splits the batch it names.
    (answer,) = scanner.upload(scanner.item(signed, split={"from": source.trace_code, "quantity": "30", "uom": "KGM"}))
    assert answer["status"] == "accepted"
    session.expire_all()
    assert (session.get(Batch, source.id).available, session.get(Batch, other.id).available) == (70, 100)


def test_a_shipping_names_only_the_batch_its_batch_was_split_from(client, make):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    product = make.product(producer)
    whole, unrelated = make.batch(producer, product), make.batch(producer, product)
    body = {"id": str(uuid.uuid4()), "stage": "shipping", "batches": [whole.trace_code],
            "occurredAt": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
            "data": {"recipient": market.org.id, "splitFrom": unrelated.trace_code}}
    r = client.post("/api/v1/events", json=body, headers=producer.headers)
    assert_problem(r, 422, "validation", "data")
    assert "split" in r.json["detail"]


def test_samples_for_a_laboratory(client, make, session):
    producer = make.actor()
    lab = make.org("inspection_agency", "县检测站")
    batch = make.batch(producer)
    scanner = Scanner(client, producer)
    record = scanner.record("sample", batch.trace_code, {"laboratory": lab.id, "sampleQuantity": "0.5 KGM"})
    assert scanner.upload(scanner.item(record))[0]["status"] == "accepted"
    event = session.get(Event, record["id"])
    assert event.stage == "test_request" and event.data == {"laboratory": lab.id, "sampleQuantity": "0.5 KGM"}


def test_a_scan_at_a_registered_location(client, make, session):
    producer, other = make.actor(), make.actor()
    batch = make.batch(producer)
    mine = client.post(f"/api/v1/organizations/{producer.org.id}/locations", json={"kind": "cold_store",
                       "name": "1号冷库"}, headers=producer.headers).json
    theirs = client.post(f"/api/v1/organizations/{other.org.id}/locations", json={"kind": "warehouse", "name": "库"},
                         headers=other.headers).json
    scanner = Scanner(client, producer)
    here = scanner.record("store", batch.trace_code, {"warehouse": "1号冷库"},
                          location={"id": mine["id"], "name": "1号冷库"})
    there = scanner.record("store", batch.trace_code, {"warehouse": "库"},
                           location={"id": theirs["id"], "name": "库"})
    nowhere = scanner.record("store", batch.trace_code, {"warehouse": "库"}, location={"id": theirs["id"] + 99,
                                                                                     "name": "库"})
    answers = scanner.upload(scanner.item(here), scanner.item(there), scanner.item(nowhere))
    assert [(a["status"], a.get("code")) for a in answers] == [("accepted", None), ("refused", 403), ("refused", 422)]
    assert session.get(Event, here["id"]).location == {"id": mine["id"], "name": "1号冷库"}
    assert session.get(Event, there["id"]) is None and session.get(Event, nowhere["id"]) is None
    assert client.delete(f"/api/v1/locations/{mine['id']}", headers=producer.headers).status_code == 200
    scanned = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)  # scanned after the place was retired
    after = build_record(record_id=str(uuid.uuid4()), mode="store", batch=batch.trace_code, scanned_at=scanned,
                         org=scanner.org, actor=f"device:{scanner.key['name']}", data={"warehouse": "1号冷库"},
                         location={"id": mine["id"], "name": "1号冷库"})
    (answer,) = scanner.upload(scanner.item(after))
    assert (answer["status"], answer["code"]) == ("refused", 422) and "retired" in answer["reason"]


def test_resolve_scanned_identifiers(client, make, session):
    producer = make.actor()
    product = make.product(producer, gtin="06901234567892")
    batch = make.batch(producer, product, lot="L-7")
    _, units = issue_labels(session, producer.user, batch, 1)
    session.commit()
    serial = units[0].serial
    idents = [batch.trace_code, serial, "01/06901234567892/10/L-7", f"01/06901234567892/10/L-7/21/{serial}",
              "01/06901234567892/10/NOPE", "0000000000000"]
    r = client.post("/api/v1/devices/resolve", json={"items": idents})
    assert r.status_code == 200
    assert r.json["items"] == {
        batch.trace_code: {"batch": batch.trace_code, "unit": False}, serial: {"batch": batch.trace_code, "unit": True},
        idents[2]: {"batch": batch.trace_code, "unit": False}, idents[3]: {"batch": batch.trace_code, "unit": True},
        idents[4]: None, idents[5]: None}


def test_upload_limits(client, app):
    r = client.post("/api/v1/devices/records", json={"records": [{}] * 1001})
    assert_problem(r, 413, "payload-too-large")
    r = client.post("/api/v1/devices/records", json={"records": [{"record": 1}]})
    assert r.status_code == 200 and r.json["items"][0]["status"] == "refused"


def test_locations_register(client, make):
    producer, other, admin = make.actor(), make.actor(), make.actor("admin")
    url = f"/api/v1/organizations/{producer.org.id}/locations"
    vehicle = {"kind": "vehicle", "name": "浙H·12345", "gln": "6901234000017"}
    r = client.post(url, json=vehicle, headers=producer.headers)
    assert r.status_code == 201 and r.json["gln"] == "6901234000017"
    place = r.json["id"]
    assert_problem(client.post(url, json={"kind": "vehicle", "name": "浙H·12345"}, headers=producer.headers), 409,
                   "conflict")
    assert_problem(client.post(url, json={"kind": "stall", "name": "摊位"}, headers=other.headers), 403, "forbidden")
    assert_problem(client.post(url, json={"kind": "castle", "name": "x"}, headers=producer.headers), 422, "validation")
    assert client.post(url, json={"kind": "plot", "name": "3号地块"}, headers=admin.headers).status_code == 201
    r = client.patch(f"/api/v1/locations/{place}", json={"name": "冷藏车1"}, headers=producer.headers)
    assert r.status_code == 200 and r.json["name"] == "冷藏车1"
    assert_problem(client.patch(f"/api/v1/locations/{place}", json={"name": "x"}, headers=other.headers), 403,
                   "forbidden")
    assert [p["name"] for p in client.get(url, headers=other.headers).json["items"]] == ["冷藏车1", "3号地块"]
    assert client.delete(f"/api/v1/locations/{place}", headers=producer.headers).json["retired"] is True
    assert [p["name"] for p in client.get(url, headers=producer.headers).json["items"]] == ["3号地块"]
    assert len(client.get(url + "?retired=true", headers=producer.headers).json["items"]) == 2


@pytest.mark.parametrize("mode", ["receive", "store", "ship", "sell"])
def test_every_mode_records_canonical_data_as_the_client_builds_it(client, make, session, mode):
    producer = make.actor()
    market = make.actor("producer", make.org("retailer"))
    batch = make.batch(producer)
    data = {"receive": {"from": market.org.id, "quantity": "12.5", "uom": "KGM"}, "store": {"warehouse": "二号仓"},
            "ship": {"recipient": market.org.id}, "sell": {"channel": "supermarket", "quantity": "2", "uom": "KGM"}}
    scanner = Scanner(client, producer)
    record = scanner.record(mode, batch.trace_code, data[mode])
    assert scanner.upload(scanner.item(record))[0]["status"] == "accepted"
    assert session.get(Event, record["id"]).data == data[mode]
