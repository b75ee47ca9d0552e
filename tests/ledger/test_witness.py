"""Witness cosignatures (c2sp.org/tlog-cosignature) and a witness's add-checkpoint decisions (c2sp.org/tlog-witness)."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest

from trace.ledger import consistency_proof, generate_private_key, parse_vkey, public_raw, tile_node_reader
from trace.ledger.cosignature import (
    cosign,
    cosigners,
    format_add_checkpoint,
    parse_add_checkpoint,
    parse_witness_vkey,
    witness_vkey,
)
from trace.ledger.errors import KeyFormatError, NoteError
from trace.ledger.note import parse_checkpoint, split_note
from trace.ledger.witness import decide

from .helpers import FakeLog

NOW = 1_764_669_600


def _grown(n: int) -> FakeLog:
    log = FakeLog()
    org = log.add_key("coop.example/org")
    for _ in range(n):
        log.append(log.record(), [org])
    return log


def _body(log: FakeLog, old: int, size: int | None = None, note: str | None = None) -> bytes:
    size = len(log.leaves) if size is None else size
    proof = consistency_proof(old, size, tile_node_reader(log.store)) if 0 < old < size else []
    return format_add_checkpoint(old, proof, note or log.checkpoint(size))


class Witness:
    """A witness's state in memory, as the server keeps it on disk."""

    def __init__(self, log: FakeLog) -> None:
        self.key = generate_private_key()
        self.logs = {log.origin: [parse_vkey(log.log_vkey)]}
        self.latest: dict = {}

    def submit(self, body: bytes):
        decision = decide(body, self.logs, self.latest, "w1.example/witness", self.key, NOW)
        if decision.status == 200:
            self.latest[decision.state.origin] = decision.state
        return decision


def test_witness_key_uses_signature_type_4() -> None:
    key = generate_private_key()
    text = witness_vkey("w1.example/witness", public_raw(key))
    name, hash_hex, material = text.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x04 and raw[1:] == public_raw(key)
    assert bytes.fromhex(hash_hex) == hashlib.sha256(name.encode() + b"\n\x04" + raw[1:]).digest()[:4]
    assert parse_witness_vkey(text).public_raw == public_raw(key)
    with pytest.raises(KeyFormatError):
        parse_vkey(text)  # a cosigning key is not a log key
    log_style = text.split("+")[0] + "+" + hash_hex + "+" + base64.b64encode(b"\x01" + raw[1:]).decode()
    with pytest.raises(KeyFormatError):
        parse_witness_vkey(log_style)


def test_cosignature_signs_header_time_and_checkpoint() -> None:
    log = _grown(3)
    key = generate_private_key()
    note = log.checkpoint()
    text, _ = split_note(note)
    line = cosign(text, "w1.example/witness", key, NOW)
    blob = base64.b64decode(line.split(" ")[2])
    assert struct.unpack(">Q", blob[4:12]) == (NOW,)
    message = f"cosignature/v1\ntime {NOW}\n{text}".encode()
    key.public_key().verify(blob[12:], message)  # raises if the signed message differs
    wkey = parse_witness_vkey(witness_vkey("w1.example/witness", public_raw(key)))
    assert cosigners(note + line, [wkey]) == {"w1.example/witness": NOW}
    other = parse_witness_vkey(witness_vkey("w1.example/witness", public_raw(generate_private_key())))
    assert cosigners(note + line, [other]) == {}
    forged = log.checkpoint(2) + line  # the line over another checkpoint does not verify there
    assert cosigners(forged, [wkey]) == {}


def test_add_checkpoint_body_round_trips_and_rejects_bad_shapes() -> None:
    log = _grown(5)
    body = _body(log, 3)
    old, proof, note = parse_add_checkpoint(body)
    assert old == 3 and proof == consistency_proof(3, 5, tile_node_reader(log.store)) and note == log.checkpoint()
    for bad in (b"old 03\n\n" + note.encode(), b"old 1\nnot-base64!\n\n" + note.encode(), note.encode()):
        with pytest.raises(NoteError):
            parse_add_checkpoint(bad)


def test_witness_cosigns_a_growing_log_and_remembers_it() -> None:
    log = _grown(3)
    witness = Witness(log)
    first = witness.submit(_body(log, 0))
    assert first.status == 200 and first.body.startswith("\u2014 w1.example/witness ")
    assert witness.latest[log.origin].size == 3
    org = log.add_key("coop.example/org2")
    for _ in range(4):
        log.append(log.record(), [org])
    assert witness.submit(_body(log, 3)).status == 200
    assert witness.latest[log.origin].size == 7
    again = witness.submit(_body(log, 7))  # the same checkpoint again: cosigned again
    assert again.status == 200


def test_witness_answers_409_with_its_size_when_old_is_not_what_it_cosigned() -> None:
    log = _grown(4)
    witness = Witness(log)
    witness.submit(_body(log, 0, size=2, note=log.checkpoint(2)))
    answer = witness.submit(_body(log, 0))
    assert (answer.status, answer.body, answer.content_type) == (409, "2\n", "text/x.tlog.size")
    assert witness.latest[log.origin].size == 2


def test_witness_refuses_a_rollback_and_a_fork() -> None:
    log = _grown(6)
    witness = Witness(log)
    assert witness.submit(_body(log, 0)).status == 200
    # Rollback: the log shows 4 entries after the witness saw 6.
    rolled = witness.submit(_body(log, 6, size=4, note=log.checkpoint(4)))
    assert rolled.status == 400
    # Fork: a log with the same key and origin but other entries after the first three.
    fork = FakeLog(log_key=log.log_key)
    org = fork.add_key("coop.example/org")
    for _ in range(8):
        fork.append(fork.record(), [org])
    forked = witness.submit(_body(fork, 6))
    assert forked.status == 422 and "not consistent" in forked.body
    same_size_other_root = witness.submit(format_add_checkpoint(6, [], fork.checkpoint(6)))
    assert same_size_other_root.status == 422
    assert witness.latest[log.origin].size == 6  # nothing refused was stored


def test_witness_refuses_unknown_logs_and_bad_signatures() -> None:
    log = _grown(2)
    witness = Witness(log)
    stranger = FakeLog(origin="other.example/log")
    stranger.append(stranger.record(), [stranger.add_key("x.example/org")])
    assert witness.submit(_body(stranger, 0)).status == 404
    impostor = FakeLog()  # same origin, another log key
    impostor.append(impostor.record(), [impostor.add_key("x.example/org")])
    assert witness.submit(_body(impostor, 0)).status == 403
    assert witness.submit(b"old 5\n\n" + log.checkpoint().encode()).status == 400  # old beyond the checkpoint
    assert witness.latest == {}


def test_checkpoint_with_witness_lines_still_opens_for_the_log_key() -> None:
    log = _grown(2)
    witness = Witness(log)
    decision = witness.submit(_body(log, 0))
    text, signatures = split_note(decision.note)
    assert parse_checkpoint(text).size == 2 and len(signatures) == 2
