"""The client's trace-code check and canonical signed records against the vectors the server is held to."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_client.codes import check_character, code_is_valid
from scanner_client.records import SERVER_ONLY, canonical, key_id, public_raw, sign_record, verify_record

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "scanner.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["traceCodes"]["valid"], ids=lambda v: v["payload"])
def test_check_characters(vector):
    assert check_character(vector["payload"]) == vector["check"]
    assert code_is_valid(vector["payload"] + vector["check"])


@pytest.mark.parametrize("code", VECTORS["traceCodes"]["mistyped"])
def test_mistyped_codes_fail_the_check(code):
    assert not code_is_valid(code)


@pytest.mark.parametrize("vector", VECTORS["records"], ids=lambda v: v["record"]["stage"])
def test_the_client_signs_the_canonical_device_view(vector):
    key = VECTORS["deviceKey"]
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed"]))
    assert public_raw(private).hex() == key["public"]
    assert key_id(key["name"], public_raw(private)) == key["keyId"]
    view = {k: v for k, v in vector["record"].items() if k not in SERVER_ONLY}
    assert view == vector["deviceView"]
    assert canonical(view).decode() == vector["canonical"]
    assert hashlib.sha256(canonical(view)).hexdigest() == vector["sha256"]
    assert sign_record(private, view) == vector["signature"]  # Ed25519 is deterministic
    assert verify_record(public_raw(private), view, vector["signature"])
    assert not verify_record(public_raw(private), {**view, "org": "8"}, vector["signature"])
    assert base64.b64decode(vector["signature"])
