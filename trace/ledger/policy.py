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

Which users may have their organization sign which stage: a stage declares the roles that record
it (``producers_record``, ``inspectors_record``, ``labs_record`` in ``trace/stages``); ``ROLE_KINDS``
says of which organization kinds a role's users are. A test result states its basis (``BASES``):
委托检测 (a laboratory answering a producer's request), 监督抽检 (a supervisory sample: taken by an
inspector, tested by the laboratory it names), 自检 (the producer's own test); only a laboratory's
key signs a commissioned result and only the key of the laboratory a sample names signs its result.
"""

from __future__ import annotations

from typing import Any

LOG, ORGANIZATION, DEVICE = "log", "organization", "device"
ROLES = (LOG, ORGANIZATION, DEVICE)
# Stages whose records the log key may sign when they are marked back-filled.
BACKFILLED_STAGES = frozenset({"registration", "product"})


# The organization kinds whose users may hold a role (roles not listed: any kind).
ROLE_KINDS: dict[str, frozenset[str]] = {"lab": frozenset({"inspection_agency"}), "station": frozenset({"station"})}
# Who vouches for a test result: the bases a result record states, in the order a reader trusts them.
COMMISSIONED, SUPERVISORY, SELF_CHECK = "commissioned", "supervisory", "self_check"
BASES = (COMMISSIONED, SUPERVISORY, SELF_CHECK)
# The organization kinds whose own results (with no request or sample) are supervisory: the regulator's.
SUPERVISING_KINDS = frozenset({"inspection_agency", "authority"})


def role_fits(role: str, org_kind: str) -> bool:
    """Tell whether a user of an organization of this kind may hold the role."""
    kinds = ROLE_KINDS.get(role)
    return kinds is None or org_kind in kinds


def result_basis(data: dict[str, Any], org_kind: str | None) -> str:
    """Return the basis of a test result record: as it states (checked when recorded), else as its signer implies.

    Records from before bases were stated name none: a regulator's own are supervisory, any
    other organization's (a producer's, whatever laboratory its free-text ``lab`` names) 自检.
    """
    stated = data.get("basis")
    if stated in BASES:
        return str(stated)
    if data.get("request"):
        return COMMISSIONED
    if data.get("sample") or org_kind in SUPERVISING_KINDS:
        return SUPERVISORY
    return SELF_CHECK


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
