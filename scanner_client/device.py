"""The device's home directory: its Ed25519 key (0600) and its outbox."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_client.outbox import Outbox
from scanner_client.records import key_id, private_raw, public_raw

KEY_FILE = "device.key"
OUTBOX_FILE = "outbox.sqlite3"
DEFAULT_HOME = Path("~/.suyuan-scanner")


class NotEnrolledError(RuntimeError):
    """The home directory has no enrolled device."""


@dataclass
class Device:
    """An enrolled scanner: its key, the names the server knows it by, and its outbox."""

    home: Path
    private: Ed25519PrivateKey
    outbox: Outbox

    @property
    def server(self) -> str:
        return self.outbox.get("server")

    @property
    def org(self) -> str:
        return self.outbox.get("org")

    @property
    def key_name(self) -> str:
        return self.outbox.get("key_name")

    @property
    def key_id(self) -> str:
        return key_id(self.key_name, public_raw(self.private))

    @property
    def actor(self) -> str:
        return f"device:{self.key_name}"


def home_dir(home: str | None) -> Path:
    """Return the home directory, created (0700) if missing."""
    path = Path(home).expanduser() if home else DEFAULT_HOME.expanduser()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def create_key(home: Path) -> Ed25519PrivateKey:
    """Return the device key, creating it (mode 0600) on first use."""
    path = home / KEY_FILE
    if path.exists():
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(path.read_text().strip()))
    private = Ed25519PrivateKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(private_raw(private).hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return private


def open_outbox(home: Path) -> Outbox:
    return Outbox(home / OUTBOX_FILE)


def load_device(home: Path) -> Device:
    """Return the enrolled device of a home directory, or raise NotEnrolledError."""
    outbox = open_outbox(home)
    if not (home / KEY_FILE).exists() or not outbox.get("key_name"):
        outbox.close()
        raise NotEnrolledError(str(home))
    return Device(home=home, private=create_key(home), outbox=outbox)
