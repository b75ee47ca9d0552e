"""C2SP signed notes and tlog checkpoints, including the golang.org/x/mod/sumdb/note vector."""

from __future__ import annotations

import base64

import pytest

from trace.ledger import (
    Checkpoint,
    NoteError,
    NoteVerificationError,
    format_checkpoint,
    generate_private_key,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_vkey,
    public_raw,
    sign_note,
    vkey,
)

from .helpers import PETER_VKEY, peter_private

GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIG + "\n"
ROOT = bytes(range(32))


def test_sign_reproduces_the_go_note() -> None:
    # Ed25519 is deterministic, so the note must match golang.org/x/mod/sumdb/note byte for byte.
    assert sign_note(GO_TEXT, "PeterNeumann", peter_private()) == GO_NOTE


def test_open_the_go_note() -> None:
    assert open_note(GO_NOTE, [parse_vkey(PETER_VKEY)]) == (GO_TEXT, ["PeterNeumann"])
    assert open_note(GO_NOTE.encode(), [parse_vkey(PETER_VKEY)]) == (GO_TEXT, ["PeterNeumann"])


def test_tampered_note_is_rejected() -> None:
    with pytest.raises(NoteVerificationError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [parse_vkey(PETER_VKEY)])


def test_note_without_known_signature_is_rejected() -> None:
    other = generate_private_key()
    stranger = parse_vkey(vkey("PeterNeumann", public_raw(other)))  # same name, other key
    with pytest.raises(NoteVerificationError, match="no signature from a known key"):
        open_note(GO_NOTE, [stranger])
    with pytest.raises(NoteVerificationError):
        open_note(GO_NOTE, [])


def test_unknown_signatures_are_ignored_and_known_ones_all_checked() -> None:
    witness = generate_private_key()
    extra_line = sign_note(GO_TEXT, "witness.example", witness).split("\n\n")[1]
    cosigned = GO_NOTE + extra_line
    assert open_note(cosigned, [parse_vkey(PETER_VKEY)]) == (GO_TEXT, ["PeterNeumann"])
    both = [parse_vkey(PETER_VKEY), parse_vkey(vkey("witness.example", public_raw(witness)))]
    assert open_note(cosigned, both)[1] == ["PeterNeumann", "witness.example"]
    forged = GO_NOTE + sign_note("other text\n", "witness.example", witness).split("\n\n")[1]
    with pytest.raises(NoteVerificationError, match="witness.example"):
        open_note(forged, both)


def test_note_text_may_contain_blank_lines() -> None:
    key = generate_private_key()
    text = "first\n\nsecond\n"
    note = sign_note(text, "example.com/k", key)
    assert open_note(note, [parse_vkey(vkey("example.com/k", public_raw(key)))]) == (text, ["example.com/k"])


@pytest.mark.parametrize(
    "note",
    [
        GO_NOTE[:-1],  # no final newline
        GO_TEXT,  # no signatures
        GO_TEXT + "\n",
        GO_NOTE.replace("\u2014", "-"),
        GO_NOTE.replace(" x08go", "  x08go"),
        GO_NOTE.replace("x08go", "x08g!"),
        GO_TEXT + "\n\u2014 PeterNeumann AAAA\n",  # shorter than a key hash and signature
        "If you think\x07\n\n" + GO_NOTE.split("\n\n")[1],
        b"\xff\n\n\xe2\x80\x94 a AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_rejected(note: str | bytes) -> None:
    with pytest.raises(NoteError):
        open_note(note, [parse_vkey(PETER_VKEY)])


def test_sign_note_validates_input() -> None:
    key = generate_private_key()
    with pytest.raises(NoteError, match="newline"):
        sign_note("no newline", "k", key)
    with pytest.raises(NoteError):
        sign_note("text\n", "bad name", key)
    with pytest.raises(NoteError, match="control"):
        sign_note("tab\there\n", "k", key)


def test_checkpoint_text_format() -> None:
    text = format_checkpoint("trace.example/log", 5, ROOT, ["ext one"])
    assert text == f"trace.example/log\n5\n{base64.b64encode(ROOT).decode()}\next one\n"
    assert parse_checkpoint(text) == Checkpoint("trace.example/log", 5, ROOT, ("ext one",))
    assert parse_checkpoint(format_checkpoint("o", 0, ROOT)) == Checkpoint("o", 0, ROOT)


@pytest.mark.parametrize(
    "text",
    [
        "o\n5\n",
        "o\n05\n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n5\n" + base64.b64encode(ROOT[:31]).decode() + "\n",
        "o\n5\n" + base64.b64encode(ROOT).decode(),
        "\n5\n" + base64.b64encode(ROOT).decode() + "\n",
        "o\n5\n" + base64.b64encode(ROOT).decode() + "\n\n",
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_signed_checkpoint_round_trip() -> None:
    key = generate_private_key()
    origin = "trace.example-county.gov.cn/log"
    verifier = parse_vkey(vkey(origin, public_raw(key)))
    note = sign_note(format_checkpoint(origin, 42, ROOT), origin, key)
    assert open_checkpoint(note, verifier) == Checkpoint(origin, 42, ROOT)
    assert open_checkpoint(note, verifier, origin=origin).size == 42
    with pytest.raises(NoteVerificationError, match="origin"):
        open_checkpoint(note, verifier, origin="other.example/log")
    with pytest.raises(NoteVerificationError):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), verifier)
