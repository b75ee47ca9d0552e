"""A bundle's log against checkpoints the user kept and witnesses the user trusts: rollback, fork, quorum."""

from __future__ import annotations

import json
from typing import Any

from trace.ledger import consistency_proof, generate_private_key, public_raw, tile_node_reader, verify_bundle
from trace.ledger.b64 import b64encode
from trace.ledger.cosignature import cosign, witness_vkey
from trace.ledger.note import split_note
from trace.ledger.verify import EXIT_OK, EXIT_PROBLEMS, main
from trace.ledger.views import check_views

from .helpers import FakeLog

NOW = 1_764_669_600


def _log(n: int) -> FakeLog:
    log = FakeLog()
    org = log.add_key("coop.example/org")
    for _ in range(n):
        log.append(log.record(), [org])
    return log


def _codes(bundle: dict[str, Any], log: FakeLog, **kw: Any) -> list[tuple[int | None, str]]:
    report = verify_bundle(bundle, log.log_vkey)
    check_views(bundle, report, log.log_vkey, **kw)
    return [(p.index, p.code) for p in report.problems]


def _proof(log: FakeLog, old: int) -> list[str]:
    return [b64encode(h) for h in consistency_proof(old, len(log.leaves), tile_node_reader(log.store))]


def test_kept_checkpoint_the_log_extends_passes_with_the_proof() -> None:
    log = _log(3)
    kept = log.checkpoint()
    log.append(log.record(), [log.add_key("coop.example/org2")])
    bundle = log.bundle()
    assert _codes(bundle, log, kept=[kept]) == [(None, "consistency-missing")]
    bundle["consistency"] = {"old": 3, "proof": _proof(log, 3)}
    assert _codes(bundle, log, kept=[kept]) == []


def test_rollback_is_named() -> None:
    log = _log(5)
    kept = log.checkpoint()
    short = FakeLog(log_key=log.log_key)
    short.keys, short.leaves, short.store, short.heads = log.keys, log.leaves[:3], log.store, {}
    bundle = short.bundle(list(range(3)))
    assert (None, "rollback") in _codes(bundle, short, kept=[kept])


def test_fork_is_named_at_the_same_size_and_beyond() -> None:
    log = _log(4)
    other = _log(4)
    other.log_key = log.log_key  # the same log key signs another history
    assert _codes(other.bundle(), other, kept=[log.checkpoint()]) == [(None, "fork")]
    other.append(other.record(), [other.add_key("coop.example/org3")])
    bundle = other.bundle()
    bundle["consistency"] = {"old": 4, "proof": _proof(other, 4)}
    assert _codes(bundle, other, kept=[log.checkpoint()]) == [(None, "fork")]


def _cosigned(log: FakeLog, size: int, keys: list[Any]) -> dict[str, Any]:
    note = log.checkpoint(size)
    text, _ = split_note(note)
    lines = "".join(cosign(text, f"w{i}.example/witness", k, NOW) for i, k in enumerate(keys))
    proof = [b64encode(h) for h in consistency_proof(size, len(log.leaves), tile_node_reader(log.store))] \
        if size < len(log.leaves) else []
    return {"checkpoint": note + lines, "proof": proof}


def test_witness_quorum_and_unwitnessed_entries() -> None:
    log = _log(4)
    keys = [generate_private_key() for _ in range(3)]
    vkeys = [witness_vkey(f"w{i}.example/witness", public_raw(k)) for i, k in enumerate(keys)]
    bundle = log.bundle()
    assert _codes(bundle, log, witnesses=vkeys, quorum=2) == [(None, "witness-quorum")]
    bundle["cosigned"] = _cosigned(log, 4, keys[:2])
    assert _codes(bundle, log, witnesses=vkeys, quorum=2) == []
    assert _codes(bundle, log, witnesses=vkeys) == [(None, "witness-quorum")]  # default quorum: all three
    bundle["cosigned"] = _cosigned(log, 3, keys)
    assert _codes(bundle, log, witnesses=vkeys) == [(3, "unwitnessed")]


def test_witnessed_checkpoint_of_another_history_is_a_fork() -> None:
    log = _log(4)
    other = _log(5)
    other.log_key = log.log_key
    keys = [generate_private_key()]
    bundle = log.bundle()
    bundle["cosigned"] = _cosigned(other, 5, keys)
    bundle["cosigned"]["proof"] = []
    codes = _codes(bundle, log, witnesses=[witness_vkey("w0.example/witness", public_raw(keys[0]))])
    assert (None, "rollback") in codes  # the witnesses saw five entries; the bundle's log has four


def test_standalone_verifier_takes_checkpoint_and_witness_options(tmp_path, capsys) -> None:
    log = _log(3)
    kept = tmp_path / "kept.txt"
    kept.write_text(log.checkpoint())
    key = generate_private_key()
    bundle = log.bundle()
    bundle["cosigned"] = _cosigned(log, 3, [key])
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    vkey = witness_vkey("w0.example/witness", public_raw(key))
    assert main([str(path), "--log-key", log.log_vkey, "--checkpoint", str(kept), "--witness", vkey]) == EXIT_OK
    stranger = witness_vkey("w9.example/witness", public_raw(generate_private_key()))
    assert main([str(path), "--log-key", log.log_vkey, "--witness", vkey, "--witness", stranger]) == EXIT_PROBLEMS
    assert "[witness-quorum]" in capsys.readouterr().out
    log.append(log.record(), [log.add_key("coop.example/org9")])
    kept.write_text(log.checkpoint())  # the user saw 4 entries; the bundle shows 3
    assert main([str(path), "--log-key", log.log_vkey, "--checkpoint", str(kept)]) == EXIT_PROBLEMS
    assert "[rollback]" in capsys.readouterr().out
