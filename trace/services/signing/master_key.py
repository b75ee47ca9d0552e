"""The master key that seals every server-held private key: checking it, and re-sealing under a new one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.errors import ConflictError
from trace.models import SigningKey


def unopenable_keys(session: Session, master_key: bytes) -> list[str]:
    """Return the names of the sealed keys this master key does not open (empty: all open)."""
    bad = []
    for key in session.scalars(sa.select(SigningKey).where(SigningKey.sealed_private_key.is_not(None))):
        try:
            ledger.open_private_key(bytes(key.sealed_private_key or b""), master_key)
        except ledger.LedgerError:
            bad.append(key.name)
    return bad


def reseal_keys(session: Session, old: bytes, new: bytes) -> int:
    """Re-seal every server-held private key from the ``old`` master key to the ``new`` one; return how many.

    Nothing changes unless every key opens with ``old`` (a wrong old key would otherwise be
    written into half the keys).
    """
    if old == new:
        raise ConflictError("The new master key is the old one.")
    keys = list(session.scalars(sa.select(SigningKey).where(SigningKey.sealed_private_key.is_not(None))
                                .with_for_update()))
    opened = []
    for key in keys:
        try:
            opened.append((key, ledger.open_private_key(bytes(key.sealed_private_key or b""), old)))
        except ledger.LedgerError as exc:
            raise ConflictError(f"Key {key.name} does not open with the current master key: {exc}") from exc
    for key, private in opened:
        key.sealed_private_key = ledger.seal_private_key(private, new)
    session.flush()
    return len(opened)
