"""Signed sensor messages: a SenML JSON pack (RFC 8428) in an envelope its device signs with Ed25519.

A message is ``{"id", "key", "senml", "sig"}``: ``id`` the device's message id (its idempotency
key), ``key`` the device's key id (hex), ``senml`` the pack, ``sig`` base64 Ed25519 over
``b"suyuan-sensor/v1\\n" + JCS({"id", "key", "senml"})``. Numbers are JSON numbers as SenML has
them; JCS writes them one way, so device and server sign and check the same bytes. The format
is documented in docs/sensors.md.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trace.ledger.errors import LedgerError
from trace.ledger.jcs import canonical

SENSOR_PREFIX = b"suyuan-sensor/v1\n"
# SenML name (after the base name) -> the unit it must be given in (RFC 8428 §12.1 and RFC 8798).
QUANTITIES = {"temperature": "Cel", "humidity": "%RH", "o2": "%", "co2": "ppm", "lat": "lat", "lon": "lon"}
BODY_KEYS = ("id", "key", "senml")
MAX_RECORDS = 2000
RELATIVE_BELOW = 2**28  # SenML: a time below this is relative to now; devices here send absolute times


class SenMLError(ValueError):
    """A message that is not a signed SenML pack of the documented shape."""


@dataclass(frozen=True, slots=True)
class Reading:
    quantity: str
    at: dt.datetime
    value: Decimal


def body_of(message: dict[str, Any]) -> dict[str, Any]:
    """Return what a message's signature covers."""
    return {k: message[k] for k in BODY_KEYS}


def es6_number(value: float) -> str:
    """Return a finite float as JCS writes it (ECMAScript Number::toString), from its shortest round-trip digits."""
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text:  # 1e-4 <= |value| < 1e16: Python's shortest digits in the same fixed notation
        return text[:-2] if text.endswith(".0") else text
    sign = "-" if value < 0 else ""
    mantissa, _, exp = text.lstrip("-").partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + (int(exp) if exp else 0)  # the decimal point's place after the first digit of whole
    point -= len(whole + frac) - len((whole + frac).lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = (digits[0] + ("." + digits[1:] if k > 1 else "")) + ("e+" if e > 0 else "e-") + str(abs(e))
    return sign + text


def _fast(value: Any, out: list[str]) -> bool:
    """Write a message body's canonical JSON into ``out``; False where the reference must decide."""
    kind = type(value)
    if kind is str:
        if not value.isascii() or not value.isprintable() or "\\" in value or '"' in value:
            return False
        out.append(f'"{value}"')
    elif kind is bool:
        out.append("true" if value else "false")
    elif kind is int:
        if not -(2**53) < value < 2**53:
            return False
        out.append(str(value))
    elif kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            return False
        out.append(es6_number(value))
    elif kind is list:
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            if not _fast(item, out):
                return False
        out.append("]")
    elif kind is dict:
        out.append("{")
        for i, key in enumerate(sorted(value)):
            if type(key) is not str or not key.isascii() or not key.isprintable() or '"' in key or "\\" in key:
                return False
            out.append(f'{"," if i else ""}"{key}":')
            item = value[key]
            if type(item) is float and item - item == 0:  # finite: the common case, written here
                out.append(es6_number(item))
            elif not _fast(item, out):
                return False
        out.append("}")
    else:
        return False
    return True


def signed_bytes(body: dict[str, Any]) -> bytes:
    """Return the bytes a message's signature covers (JCS written directly for the plain shapes SenML has)."""
    out: list[str] = []
    if _fast(body, out):
        return SENSOR_PREFIX + "".join(out).encode()
    try:
        return SENSOR_PREFIX + canonical(body)
    except LedgerError as exc:
        raise SenMLError(f"the message has no canonical form: {exc}") from exc


def digest(body: dict[str, Any], signed: bytes | None = None) -> str:
    """Return the hex SHA-256 of the signed bytes: what window records cite."""
    return hashlib.sha256(signed or signed_bytes(body)).hexdigest()


def sign_message(private_key: Ed25519PrivateKey, message_id: str, key_id: str, pack: list[Any]) -> dict[str, Any]:
    """Return a signed message (what a device publishes)."""
    body = {"id": message_id, "key": key_id, "senml": pack}
    return {**body, "sig": base64.b64encode(private_key.sign(signed_bytes(body))).decode()}


def check_shape(message: Any) -> dict[str, Any]:
    """Return the message if it has the envelope's fields, else raise SenMLError."""
    if not isinstance(message, dict):
        raise SenMLError("a message is a JSON object {id, key, senml, sig}")
    stray = sorted(set(message) - {*BODY_KEYS, "sig"})
    if stray:
        raise SenMLError(f"unknown fields: {', '.join(stray)}")
    if "sig" not in message:
        raise SenMLError("unsigned: the message has no sig")
    for name in ("id", "key", "sig"):
        if not isinstance(message.get(name), str) or not 0 < len(message[name]) <= 128:
            raise SenMLError(f"{name} must be a string of 1 to 128 characters")
    if not isinstance(message.get("senml"), list) or not 0 < len(message["senml"]) <= MAX_RECORDS:
        raise SenMLError(f"senml must be a pack (a list) of 1 to {MAX_RECORDS} records")
    return message


def verify_message(public_raw: bytes, message: dict[str, Any], signed: bytes | None = None) -> bool:
    """Tell whether the message's sig signs its body (``signed``: its bytes, if already made) under the key.

    Never raises on bad input.
    """
    try:
        signature = base64.b64decode(message["sig"], validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, signed or signed_bytes(body_of(message)))
    except (InvalidSignature, ValueError, binascii.Error, KeyError, TypeError):
        return False
    return True


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SenMLError(f"{what} must be a number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise SenMLError(f"{what} must be finite")
    return number


@functools.lru_cache(maxsize=4096)
def _quantity(name: str) -> str | None:
    """Return the measurement a SenML name is of: its last part after ``:`` or ``/``."""
    return next((q for q in QUANTITIES if name == q or name.endswith(":" + q) or name.endswith("/" + q)), None)


def resolve(pack: list[Any]) -> list[Reading]:
    """Return a pack's readings, base fields applied (RFC 8428 §4.6), sorted by time."""
    base_name, base_time, base_unit, base_value = "", Decimal(0), None, Decimal(0)
    readings = []
    for i, rec in enumerate(pack):
        if not isinstance(rec, dict):
            raise SenMLError(f"record {i} is not an object")
        if "bver" in rec and rec["bver"] not in (10,):
            raise SenMLError(f"record {i}: SenML version {rec['bver']!r} is not supported")
        stray = sorted(set(rec) - {"bn", "bt", "bu", "bv", "bver", "n", "u", "v", "t"})
        if stray:
            raise SenMLError(f"record {i}: unsupported fields {', '.join(stray)}")
        if "bn" in rec:
            if not isinstance(rec["bn"], str):
                raise SenMLError(f"record {i}: bn must be a string")
            base_name = rec["bn"]
        if "bt" in rec:
            base_time = _number(rec["bt"], f"record {i}: bt")
        if "bu" in rec:
            base_unit = rec["bu"]
        if "bv" in rec:
            base_value = _number(rec["bv"], f"record {i}: bv")
        if "v" not in rec:
            if "n" in rec or "t" in rec:
                raise SenMLError(f"record {i}: only numeric values (v) are taken")
            continue
        name = base_name + (rec.get("n") or "")
        quantity = _quantity(name)
        if quantity is None:
            raise SenMLError(f"record {i}: unknown measurement {name!r} (one of {', '.join(QUANTITIES)})")
        unit = rec.get("u", base_unit)
        if unit != QUANTITIES[quantity]:
            raise SenMLError(f"record {i}: {quantity} is given in {QUANTITIES[quantity]}, not {unit!r}")
        when = base_time + _number(rec.get("t", 0), f"record {i}: t")
        if when < RELATIVE_BELOW:
            raise SenMLError(f"record {i}: times must be absolute (seconds since 1970), not relative")
        try:
            at = dt.datetime.fromtimestamp(float(when), dt.UTC)
        except (OverflowError, ValueError, OSError) as exc:
            raise SenMLError(f"record {i}: time out of range") from exc
        readings.append(Reading(quantity, at, base_value + _number(rec["v"], f"record {i}: v")))
    if not readings:
        raise SenMLError("the pack holds no reading")
    readings.sort(key=lambda r: r.at)
    return readings


def pack(base_name: str, readings: Sequence[tuple[str, int | float, int | float]]) -> list[dict[str, Any]]:
    """Return a SenML pack of (quantity, unix time, value) readings under one base name and base time."""
    if not readings:
        return []
    start = min(t for _, t, _ in readings)
    out: list[dict[str, Any]] = []
    for i, (quantity, at, value) in enumerate(readings):
        rec: dict[str, Any] = {"n": quantity, "u": QUANTITIES[quantity], "v": value}
        if i == 0:
            rec = {"bn": base_name, "bt": start, **rec}
        offset = at - start
        if offset:
            rec["t"] = offset
        out.append(rec)
    return out
