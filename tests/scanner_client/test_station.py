"""What a scan becomes: a shipping of part of a batch signs where the part was split from."""

from __future__ import annotations

from scanner_client.device import Device, create_key, open_outbox
from scanner_client.i18n import Words
from scanner_client.outbox import WAITING, Outbox
from scanner_client.records import public_raw, verify_record
from scanner_client.station import Station
from scanner_client.sync import _item

CODE = "SWD72885970ZS"


def offline_device(home) -> Device:
    home.mkdir()
    private = create_key(home)
    outbox: Outbox = open_outbox(home)
    outbox.put(server="http://127.0.0.1:9", org="1", key_name="suyuan-device1-station")
    return Device(home=home, private=private, outbox=outbox)


def test_shipping_part_of_a_batch_signs_its_source(tmp_path):
    device = offline_device(tmp_path / "home")
    station = Station(device, Words("en"), dedup_seconds=0)
    for scan in ("SYCMD:MODE:SHIP", "SYCMD:ORG:7:Market", "SYCMD:QTY:30:KGM", CODE, "SYCMD:QTY:2:KGM"):
        station.scan(scan)
    station.scan("SYCMD:MODE:STORE")
    station.scan("SYCMD:LOC:4:Cold%20store")
    station.scan(CODE)
    split, stored = device.outbox.rows(WAITING)
    assert split.record is not None and stored.record is not None
    assert split.record["batches"] != [CODE] and split.record["batches"] == [split.context["split"]]
    assert split.record["data"] == {"recipient": 7, "quantity": "30", "uom": "KGM", "splitFrom": CODE}
    assert verify_record(public_raw(device.private), split.record, split.sig)
    item = _item("k" * 64, split)
    assert set(item) == {"record", "signature"}  # nothing unsigned beside the record
    tampered = {**split.record, "data": {**split.record["data"], "splitFrom": "GEMPGQ9AHA04Z"}}
    assert not verify_record(public_raw(device.private), tampered, split.sig)
    assert stored.record["batches"] == [CODE] and "splitFrom" not in stored.record["data"]
