"""The feedback form token: bound to its code, signed, expiring."""

from __future__ import annotations

import pytest

from trace.lookup.forms import FormTokenError, form_token, open_form_token


def test_a_token_opens_for_its_code_only():
    token = form_token("secret", "95HKQQ1J1DQFR")
    nonce = open_form_token("secret", token, "95HKQQ1J1DQFR")
    assert len(nonce) == 16
    assert form_token("secret", "95HKQQ1J1DQFR") != token  # a fresh nonce every time
    with pytest.raises(FormTokenError, match="another code"):
        open_form_token("secret", token, "0000000000000")
    with pytest.raises(FormTokenError):
        open_form_token("other", token, "95HKQQ1J1DQFR")


def test_an_old_token_is_refused():
    token = form_token("secret", "95HKQQ1J1DQFR")
    with pytest.raises(FormTokenError):
        open_form_token("secret", token, "95HKQQ1J1DQFR", max_age=-1)
