"""Errors raised by the ledger: one base class, one subclass per kind of failure."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error raised by ``trace.ledger``."""


class CanonicalizationError(LedgerError):
    """A value cannot be written as RFC 8785 canonical JSON."""


class KeyFormatError(LedgerError):
    """A key, verifier key, master key or sealed key blob is malformed."""


class KeyDecryptionError(LedgerError):
    """A sealed private key cannot be opened (wrong master key or corrupted blob)."""


class LeafFormatError(LedgerError):
    """Log leaf bytes are not a canonical ``{"record", "signatures"}`` document."""


class ProofError(LedgerError):
    """A Merkle inclusion or consistency proof does not verify, or cannot be built."""


class TileError(LedgerError):
    """The tile store lacks a tile a computation needs, or holds inconsistent data."""


class NoteError(LedgerError):
    """A signed note or checkpoint is malformed."""


class NoteVerificationError(NoteError):
    """A signed note carries no valid signature from a known key, or a known key's failed."""


class TlogProofError(LedgerError):
    """A ``c2sp.org/tlog-proof@v1`` document is malformed."""


class BundleFormatError(LedgerError):
    """An audit bundle is unreadable: not JSON, or not shaped like the documented format."""
