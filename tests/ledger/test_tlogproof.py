"""C2SP tlog-proof@v1 documents."""

from __future__ import annotations

import base64

import pytest

from trace.ledger import (
    NoteError,
    ProofError,
    TlogProofError,
    format_tlog_proof,
    parse_tlog_proof,
    parse_vkey,
    verify_tlog_proof,
)

from .helpers import FakeLog

# The example from c2sp.org/tlog-proof (its signatures are elided, so it only parses).
SPEC_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u2014 example.com/fancylog hI2DJw[...]1roloI=
"""


def _log(n: int = 11) -> FakeLog:
    log = FakeLog()
    org = log.add_key("coop.example/org")
    for _ in range(n):
        log.append(log.record(), [org])
    return log


def test_parse_spec_example() -> None:
    parsed = parse_tlog_proof(SPEC_EXAMPLE)
    assert parsed.index == 73894
    assert len(parsed.proof) == 5
    assert parsed.proof[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert parsed.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert parsed.checkpoint_note.startswith("example.com/fancylog\n109482\n")


def test_format_layout_and_round_trip() -> None:
    log = _log()
    proof, note = log.proof(6), log.checkpoint()
    text = format_tlog_proof(6, proof, note, extra=b"hi")
    lines = text.split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra aGk=", "index 6"]
    assert lines[3 : 3 + len(proof)] == [base64.b64encode(h).decode() for h in proof]
    assert lines[3 + len(proof)] == ""
    assert text.endswith("\n\n" + note)
    parsed = parse_tlog_proof(text)
    assert (parsed.index, list(parsed.proof), parsed.checkpoint_note, parsed.extra) == (6, proof, note, b"hi")
    assert parse_tlog_proof(format_tlog_proof(6, proof, note)).extra is None


def test_verify_tlog_proof() -> None:
    log = _log()
    verifier = parse_vkey(log.log_vkey)
    text = format_tlog_proof(3, log.proof(3), log.checkpoint())
    checkpoint = verify_tlog_proof(text, log.leaves[3], verifier, origin=log.origin)
    assert (checkpoint.origin, checkpoint.size) == (log.origin, 11)
    with pytest.raises(ProofError):
        verify_tlog_proof(text, log.leaves[4], verifier)
    with pytest.raises(NoteError):
        verify_tlog_proof(text, log.leaves[3], parse_vkey(FakeLog().log_vkey))
    with pytest.raises(NoteError):
        verify_tlog_proof(text.replace("\n11\n", "\n12\n"), log.leaves[3], verifier)


def test_single_entry_log_has_an_empty_proof() -> None:
    log = _log(1)
    text = format_tlog_proof(0, [], log.checkpoint())
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 0\n\n")
    assert verify_tlog_proof(text, log.leaves[0], parse_vkey(log.log_vkey)).size == 1


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 0\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex -1\n\nx\n",
        "c2sp.org/tlog-proof@v1\n\nx\n",
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n" + "A" * 43 + "=",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n",
    ],
)
def test_malformed_tlog_proofs_are_rejected(text: str) -> None:
    with pytest.raises(TlogProofError):
        parse_tlog_proof(text)
