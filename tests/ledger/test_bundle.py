"""Audit bundle verification: a good bundle passes; each kind of tampering is reported where it happened."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from trace.ledger import (
    BUNDLE_FORMAT,
    BundleFormatError,
    KeyFormatError,
    generate_private_key,
    leaf_bytes,
    parse_leaf,
    verify_bundle,
)
from trace.ledger.b64 import b64encode

from .helpers import FakeLog, SigningKey


def _batch_log() -> tuple[FakeLog, SigningKey, SigningKey]:
    """A log with five entries for batch B-0001 (one from a device) and two for another batch."""
    log = FakeLog()
    org = log.add_key("coop.example/org")
    device = log.add_key("coop.example/scanner-7", role="device")
    log.append(log.record(stage="planting", recordedAt="2024-03-01T09:00:00+08:00"), [org])
    log.append(log.record(("B-0002",)), [org])
    log.append(log.record(stage="harvest"), [org, device])
    log.append(log.record(stage="washing"), [org])
    log.append(log.record(("B-0002",), stage="harvest"), [org])
    log.append(log.record(stage="packing"), [org])
    log.append(log.record(stage="shipping", recordedAt="2024-05-03T10:00:00+08:00"), [org])
    return log, org, device


BATCH = [0, 2, 3, 5, 6]


def _problems(report: Any) -> list[tuple[int | None, str]]:
    return [(p.index, p.code) for p in report.problems]


def _replace_leaf(bundle: dict[str, Any], index: int, leaf: bytes) -> None:
    for entry in bundle["entries"]:
        if entry["index"] == index:
            entry["leaf"] = b64encode(leaf)


def _leaf(bundle: dict[str, Any], index: int) -> bytes:
    return next(base64.b64decode(e["leaf"]) for e in bundle["entries"] if e["index"] == index)


def test_good_bundle_passes() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    assert bundle["format"] == BUNDLE_FORMAT == "suyuan-audit-bundle/v1"
    report = verify_bundle(bundle, log.log_vkey)
    assert report.problems == []
    assert report.ok
    assert report.checkpoint is not None and report.checkpoint.size == 7
    assert [e.index for e in report.entries] == BATCH
    assert report.entries[1].signers == ("coop.example/org", "coop.example/scanner-7")
    assert report.entries[0].stage == "planting"


def test_whole_log_bundle_passes_without_batches() -> None:
    log, _, _ = _batch_log()
    assert verify_bundle(log.bundle(), log.log_vkey).problems == []


def test_changed_record_is_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    record, sigs = parse_leaf(_leaf(bundle, 3))
    record["data"]["weightKg"] = "99.00"
    _replace_leaf(bundle, 3, leaf_bytes(record, sigs))
    report = verify_bundle(bundle, log.log_vkey)
    assert report.codes_at(3) == {"inclusion", "signature", "missing-signature"}
    # The next entry of the batch still names the original leaf.
    assert report.codes_at(5) == {"prev-chain"}
    assert set(_problems(report)) == {(3, "inclusion"), (3, "signature"), (3, "missing-signature"), (5, "prev-chain")}
    assert not report.ok


def test_removed_entry_is_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    bundle["entries"] = [e for e in bundle["entries"] if e["index"] != 3]
    report = verify_bundle(bundle, log.log_vkey)
    assert _problems(report) == [(5, "prev-chain")]
    assert "previous one for B-0001" in report.problems[0].reason
    assert "entry 2" in report.problems[0].reason


def test_removed_first_entry_is_reported() -> None:
    log, _, _ = _batch_log()
    report = verify_bundle(log.bundle(BATCH[1:], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(2, "prev-chain")]
    assert "should be null" in report.problems[0].reason


def test_swapped_signature_in_bundle_is_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    record3, _ = parse_leaf(_leaf(bundle, 3))
    _, sigs5 = parse_leaf(_leaf(bundle, 5))
    _replace_leaf(bundle, 3, leaf_bytes(record3, sigs5))
    report = verify_bundle(bundle, log.log_vkey)
    assert {"inclusion", "signature"} <= report.codes_at(3)
    assert report.codes_at(5) == {"prev-chain"}


def test_logged_swapped_signature_is_reported() -> None:
    # The log itself accepted a record carrying another record's signature: inclusion holds,
    # the signature does not.
    log, org, _ = _batch_log()
    stolen = org.sign(log.record(stage="something else"))
    index = log.append(log.record(stage="storage"), [], signatures=[stolen])
    report = verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(index, "signature"), (index, "missing-signature")]
    assert "coop.example/org does not verify" in report.problems[0].reason


def test_revoked_key_used_after_revocation_is_reported() -> None:
    log, org, _ = _batch_log()
    old = log.add_key("coop.example/org-2023", revoked_at="2024-04-01T00:00:00+08:00")
    before = log.append(log.record(stage="inspection", recordedAt="2024-03-15T00:00:00+08:00"), [old])
    after = log.append(log.record(stage="inspection", recordedAt="2024-05-10T00:00:00+08:00"), [old])
    both = log.append(log.record(stage="inspection", recordedAt="2024-05-11T00:00:00+08:00"), [old, org])
    report = verify_bundle(log.bundle(BATCH + [before, after, both], batches=["B-0001"]), log.log_vkey)
    assert report.codes_at(before) == set()
    assert _problems(report) == [(after, "revoked-key"), (after, "missing-signature"), (both, "revoked-key")]
    assert "revoked at 2024-04-01T00:00:00+08:00" in report.problems[0].reason


def test_broken_prev_chain_is_reported() -> None:
    log, org, _ = _batch_log()
    index = log.append(log.record(prev={"B-0001": "00" * 32}), [org])
    report = verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(index, "prev-chain")]
    assert "entry 6" in report.problems[0].reason


def test_record_missing_a_prev_link_is_reported() -> None:
    log, org, _ = _batch_log()
    index = log.append(log.record(batches=["B-0001", "B-0003"]), [org])
    report = verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(index, "prev-chain")]
    assert "no link for B-0003" in report.problems[0].reason


def test_chains_of_other_codes_are_not_required_complete() -> None:
    # A transformation consumes B-0002, whose earlier entries are not in a B-0001 bundle.
    log, org, _ = _batch_log()
    record = log.record(
        ("B-0001", "B-0002"), stage="processing", inputs=[{"batch": "B-0002", "quantity": "5", "uom": "KGM"}]
    )
    index = log.append(record, [org])
    assert verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey).ok
    report = verify_bundle(log.bundle(BATCH + [index]), log.log_vkey)
    assert _problems(report) == [(index, "prev-chain")]


def test_device_signature_over_server_fields_is_rejected() -> None:
    log, org, device = _batch_log()
    record = log.record()
    wrong = SigningKey(device.name, device.private, "organization").sign(record)  # signs recordedAt/prev too
    index = log.append(record, [], signatures=[org.sign(record), wrong])
    report = verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(index, "signature")]
    assert "device key coop.example/scanner-7" in report.problems[0].reason


def test_record_of_another_org_is_not_vouched_for() -> None:
    log, org, _ = _batch_log()
    index = log.append(log.record(org="91110000600037341L"), [org])
    report = verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(index, "missing-signature")]


def test_log_key_records_are_accepted() -> None:
    log, _, _ = _batch_log()
    index = log.append(log.record((), stage="key", org=None, batches=[], prev={}), [log.log_signer])
    assert verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey).ok


def test_the_log_key_vouches_for_backfilled_registrations_only() -> None:
    log, org, _ = _batch_log()
    backfilled = log.append(log.record(stage="registration", data={"lot": "L1", "backfilled": True}),
                            [log.log_signer])
    assert verify_bundle(log.bundle(BATCH + [backfilled], batches=["B-0001"]), log.log_vkey).ok
    # the operator of the log cannot sign a producer's harvest, nor an unmarked registration
    for record in (log.record(), log.record(stage="registration", data={"lot": "L1"})):
        index = log.append(record, [log.log_signer])
        report = verify_bundle(log.bundle(BATCH + [backfilled, index], batches=["B-0001"]), log.log_vkey)
        assert _problems(report) == [(index, "missing-signature")]


def test_unknown_key_is_reported() -> None:
    log, org, _ = _batch_log()
    stranger = SigningKey("stranger.example/k", generate_private_key(), "organization")
    index = log.append(log.record(), [org, stranger])
    report = verify_bundle(log.bundle(BATCH + [index], batches=["B-0001"]), log.log_vkey)
    assert _problems(report) == [(index, "unknown-key")]


def test_checkpoint_by_another_key_is_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    bundle["checkpoint"] = log.checkpoint(key=generate_private_key())
    report = verify_bundle(bundle, log.log_vkey)
    assert _problems(report) == [(None, "checkpoint")]
    assert report.checkpoint is None


def test_checkpoint_of_another_origin_is_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    bundle["origin"] = "elsewhere.example/log"
    assert _problems(verify_bundle(bundle, log.log_vkey)) == [(None, "checkpoint")]


def test_stale_proof_is_reported() -> None:
    log, org, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    log.append(log.record(), [org])
    bundle["checkpoint"] = log.checkpoint()  # a newer tree head than the proofs were made for
    report = verify_bundle(bundle, log.log_vkey)
    assert set(_problems(report)) == {(i, "inclusion") for i in BATCH}


def test_duplicate_and_undecodable_entries_are_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    bundle["entries"].append(copy.deepcopy(bundle["entries"][0]))
    bundle["entries"][1]["leaf"] = "not base64!"
    report = verify_bundle(bundle, log.log_vkey)
    assert (0, "duplicate-index") in _problems(report)
    assert (2, "leaf") in _problems(report)


def test_malformed_bundle_key_is_reported() -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH, batches=["B-0001"])
    bundle["keys"][1]["vkey"] = bundle["keys"][1]["vkey"][:-2]
    report = verify_bundle(bundle, log.log_vkey)
    assert (None, "key") in _problems(report)
    assert (2, "unknown-key") in _problems(report)  # the device signature can no longer be checked


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.update(format="suyuan-audit-bundle/v2"),
        lambda b: b.pop("checkpoint"),
        lambda b: b.update(entries={}),
        lambda b: b["entries"][0].update(index="0"),
        lambda b: b["entries"][0].update(index=-1),
        lambda b: b["keys"][0].update(role="admin"),
        lambda b: b.update(batches="B-0001"),
    ],
)
def test_unreadable_bundle_raises(mutate: Any) -> None:
    log, _, _ = _batch_log()
    bundle = log.bundle(BATCH)
    mutate(bundle)
    with pytest.raises(BundleFormatError):
        verify_bundle(bundle, log.log_vkey)


def test_bad_log_key_raises() -> None:
    log, _, _ = _batch_log()
    with pytest.raises(KeyFormatError):
        verify_bundle(log.bundle(BATCH), "not-a-vkey")
