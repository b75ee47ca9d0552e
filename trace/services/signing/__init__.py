"""Signing: the signing keys and the append-only log every record is signed into."""
