"""Sign an endorsement record through the one recording pipeline."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.models import User
from trace.services.records.pipeline import Request, Service, record
from trace.services.signing.keys import LedgerConfig


def sign(session: Session, actor: User, stage: str, data: dict[str, Any], *, ledger: LedgerConfig) -> str:
    """Record ``data`` as a ``stage`` record of the actor's organization, signed and appended; return its id.

    The caller has checked that the actor may make it. Made once under a fresh id (like product records).
    """
    request = Request(payload={"id": str(uuid.uuid4()), "stage": stage, "batches": [], "occurred_at": utcnow(),
                               "data": data},
                      service=Service(actor.organization_id, f"user:{actor.id}", uuid.uuid4().hex + uuid.uuid4().hex))
    (recorded,) = record(session, actor, [request], ledger=ledger)
    return recorded.id
