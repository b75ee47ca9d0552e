"""The server's trace codes and canonical records against the vectors the scanner client is held to as well."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from trace import ledger
from trace.codes.tracecode import TraceCodeError, check_character, parse_trace_code

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "scanner.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["traceCodes"]["valid"], ids=lambda v: v["payload"])
def test_check_characters(vector):
    assert check_character(vector["payload"]) == vector["check"]
    assert parse_trace_code(vector["payload"] + vector["check"]) == vector["payload"] + vector["check"]


@pytest.mark.parametrize("code", VECTORS["traceCodes"]["mistyped"])
def test_mistyped_codes_are_refused_by_the_check_character(code):
    with pytest.raises(TraceCodeError) as caught:
        parse_trace_code(code)
    assert caught.value.reason == "check"


@pytest.mark.parametrize("vector", VECTORS["records"], ids=lambda v: v["record"]["stage"])
def test_device_view_canonical_form_and_signature(vector):
    key = VECTORS["deviceKey"]
    public = bytes.fromhex(key["public"])
    assert ledger.key_id(key["name"], public) == key["keyId"]
    view = ledger.device_view(vector["record"])
    assert view == vector["deviceView"]
    assert ledger.canonical(view).decode() == vector["canonical"]
    assert ledger.verify_record(public, view, base64.b64decode(vector["signature"]))
    assert not ledger.verify_record(public, {**view, "org": "8"}, base64.b64decode(vector["signature"]))
