"""Who may vouch for which record: the one signature policy the audit, the bundle verifiers and the page use.

A record is vouched for when a valid, unrevoked signature by a key the policy accepts for that
record is on it; other valid signatures (a scanner device's, a countersignature) are extra
evidence but never enough on their own.

- Key records (creation, rotation, revocation) are signed by the log key.
- Back-filled registration and product records (``data.backfilled``: facts of rows older than
  those records) are signed by the log key: no organization ever signed them, and they say so.
- Every other record is signed by an organization key of the record's ``org``. The log key
  does not vouch for them: the operator of the log cannot put words in a producer's mouth.
- Device keys sign as well when a record came from a device, and never vouch alone.
"""

from __future__ import annotations

from typing import Any

LOG, ORGANIZATION, DEVICE = "log", "organization", "device"
ROLES = (LOG, ORGANIZATION, DEVICE)
# Stages whose records the log key may sign when they are marked back-filled.
BACKFILLED_STAGES = frozenset({"registration", "product"})


def log_signs(record: dict[str, Any]) -> bool:
    """Tell whether the log key is the signer the policy expects for this record."""
    stage = record.get("stage")
    if stage == "key":
        return True
    data = record.get("data")
    return stage in BACKFILLED_STAGES and isinstance(data, dict) and data.get("backfilled") is True


def vouches(record: dict[str, Any], role: str, org: str | None) -> bool:
    """Tell whether a valid, unrevoked signature by a key of this role and organization vouches for the record."""
    if role == LOG:
        return log_signs(record)
    if role == ORGANIZATION:
        return not log_signs(record) and org is not None and org == record.get("org")
    return False


def expected_signer(record: dict[str, Any]) -> str:
    """Say who must sign the record, for findings: the log key or the recording organization's key."""
    if log_signs(record):
        return "the log key"
    return f"an organization key of organization {record.get('org')!r}"
