"""Ed25519 keys: record signatures, C2SP key ids and verifier keys, private keys sealed at rest."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.errors import KeyDecryptionError, KeyFormatError, LedgerError
from trace.ledger.jcs import canonical

RECORD_PREFIX = b"suyuan-record/v1\n"
ED25519_TYPE = 0x01  # C2SP signed-note signature type for Ed25519
SERVER_ONLY_FIELDS = ("recordedAt", "prev")  # set by the server after a device has signed

# Sealed blob: version byte || 12-byte nonce || AES-256-GCM(32-byte raw key) with 16-byte tag.
_SEAL_VERSION = 0x01
_SEAL_AAD = b"suyuan-sealed-ed25519/v1"
_SEALED_LEN = 1 + 12 + 32 + 16
_HEX8 = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class Verifier:
    """A C2SP Ed25519 verifier key: name, 4-byte key hash and raw public key."""

    name: str
    key_hash: bytes
    public_raw: bytes

    @property
    def key_id(self) -> str:
        """Return the full hex key id (SHA-256 of name, newline, type and key)."""
        return key_id(self.name, self.public_raw)

    @property
    def vkey(self) -> str:
        """Return the verifier key in its C2SP text form."""
        return vkey(self.name, self.public_raw)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is this key's Ed25519 signature over ``message``."""
        return verify_message(self.public_raw, message, signature)


def generate_private_key() -> Ed25519PrivateKey:
    """Generate a fresh Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def public_raw(private_key: Ed25519PrivateKey) -> bytes:
    """Return the 32-byte raw public key of a private key."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_raw(private_key: Ed25519PrivateKey) -> bytes:
    """Return the 32-byte raw private key (the RFC 8032 seed)."""
    return private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def private_key_from_raw(raw: bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from its 32-byte seed."""
    if len(raw) != 32:
        raise KeyFormatError(f"an Ed25519 private key is 32 bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def record_message(record: dict[str, Any]) -> bytes:
    """Return the bytes a record signature covers: the domain prefix and the JCS record."""
    return RECORD_PREFIX + canonical(record)


def sign_record(private_key: Ed25519PrivateKey, record: dict[str, Any]) -> bytes:
    """Sign a record; return the 64-byte Ed25519 signature."""
    return private_key.sign(record_message(record))


def verify_record(public_raw: bytes, record: dict[str, Any], sig: bytes) -> bool:
    """Return whether ``sig`` signs ``record`` under ``public_raw``; never raise on bad input."""
    try:
        message = record_message(record)
    except LedgerError:
        # A value that has no canonical form cannot have been signed.
        return False
    return verify_message(public_raw, message, sig)


def device_view(record: dict[str, Any]) -> dict[str, Any]:
    """Return the record as a scanner device signs it: without ``recordedAt`` and ``prev``."""
    return {k: v for k, v in record.items() if k not in SERVER_ONLY_FIELDS}


def _key_hash(name: str, public_raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519_TYPE]) + public_raw).digest()


def key_id(name: str, public_raw: bytes) -> str:
    """Return the full hex SHA-256 key id of ``name || 0x0A || 0x01 || public_raw``."""
    return _key_hash(name, public_raw).hex()


def check_key_name(name: str) -> None:
    """Raise ``KeyFormatError`` unless ``name`` is a valid signed-note key name."""
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise KeyFormatError(f"invalid key name {name!r}: must be non-empty, no spaces or '+'")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise KeyFormatError(f"invalid key name {name!r}: control character")


def vkey(name: str, public_raw: bytes) -> str:
    """Return the C2SP verifier key ``name+hex(key id[:4])+base64(0x01 || public key)``."""
    check_key_name(name)
    if len(public_raw) != 32:
        raise KeyFormatError(f"an Ed25519 public key is 32 bytes, got {len(public_raw)}")
    key_material = b64encode(bytes([ED25519_TYPE]) + public_raw)
    return f"{name}+{_key_hash(name, public_raw)[:4].hex()}+{key_material}"


def parse_vkey(text: str) -> Verifier:
    """Parse and validate a C2SP Ed25519 verifier key."""
    # The name may not contain '+', but the base64 part may: split twice from the left.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("verifier key must be name+hash+key")
    name, hash_hex, material = parts
    check_key_name(name)
    if not _HEX8.fullmatch(hash_hex):
        raise KeyFormatError("verifier key hash must be 8 lowercase hex digits")
    raw = b64decode_strict(material, KeyFormatError, "verifier key material")
    if len(raw) != 33:
        raise KeyFormatError(f"verifier key material must be 33 bytes, got {len(raw)}")
    if raw[0] != ED25519_TYPE:
        raise KeyFormatError(f"unsupported verifier key type 0x{raw[0]:02x} (only Ed25519 0x01)")
    public = raw[1:]
    key_hash = bytes.fromhex(hash_hex)
    if _key_hash(name, public)[:4] != key_hash:
        raise KeyFormatError("verifier key hash does not match name and key")
    return Verifier(name=name, key_hash=key_hash, public_raw=public)


def seal_private_key(private_key: Ed25519PrivateKey, master_key: bytes) -> bytes:
    """Encrypt a private key for storage with AES-256-GCM under a 32-byte master key."""
    aead = AESGCM(_check_master_key(master_key))
    nonce = os.urandom(12)
    return bytes([_SEAL_VERSION]) + nonce + aead.encrypt(nonce, private_raw(private_key), _SEAL_AAD)


def open_private_key(blob: bytes, master_key: bytes) -> Ed25519PrivateKey:
    """Decrypt a blob from ``seal_private_key``."""
    aead = AESGCM(_check_master_key(master_key))
    if len(blob) != _SEALED_LEN or blob[0] != _SEAL_VERSION:
        raise KeyFormatError("not a sealed Ed25519 key (unknown version or wrong length)")
    try:
        raw = aead.decrypt(blob[1:13], blob[13:], _SEAL_AAD)
    except InvalidTag:
        raise KeyDecryptionError("cannot decrypt the private key: wrong master key or corrupted blob") from None
    return private_key_from_raw(raw)


def _check_master_key(master_key: bytes) -> bytes:
    if not isinstance(master_key, bytes) or len(master_key) != 32:
        raise KeyFormatError("the master key must be 32 bytes")
    return master_key


def verify_message(public: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether ``signature`` is an Ed25519 signature of ``message`` under ``public``; never raise."""
    if len(public) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
