"""Audit bundles: everything an inspector needs to verify a batch's records offline (docs/audit-bundle.md)."""

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.models import Batch, EventBatch, LogEntry
from trace.services.records.registration import batch_facts
from trace.services.signing.keys import LedgerConfig, key_view, published_keys
from trace.services.signing.log import DbTileStore, latest_checkpoint
from trace.services.signing.witnesses import latest_cosigned


def audit_bundle(session: Session, cfg: LedgerConfig, batch: Batch, since: int | None = None) -> dict[str, Any]:
    """Return the offline audit bundle of a batch: its records, proofs, keys and checkpoint.

    It carries the latest checkpoint the witnesses cosigned (with a consistency proof to the
    bundle's checkpoint) when there is one, and a consistency proof from size ``since`` (a
    checkpoint the requester kept) when asked.
    """
    checkpoint = latest_checkpoint(session)
    entries = list(session.scalars(
        sa.select(LogEntry)
        .join(EventBatch, EventBatch.event_id == LogEntry.event_id)
        .where(EventBatch.batch_id == batch.id, LogEntry.index < checkpoint.size)
        .order_by(LogEntry.index)
        .distinct()
    ))
    node = ledger.tile_node_reader(DbTileStore(session))
    extra: dict[str, Any] = {}
    cosigned = latest_cosigned(session, cfg.witnesses, cfg.witness_quorum)
    if cosigned is not None and cosigned.size <= checkpoint.size:
        extra["cosigned"] = {"checkpoint": cosigned.note, "proof": _b64(
            ledger.consistency_proof(cosigned.size, checkpoint.size, node) if cosigned.size < checkpoint.size else [])}
    if since is not None and 0 < since < checkpoint.size:
        extra["consistency"] = {"old": since, "proof": _b64(ledger.consistency_proof(since, checkpoint.size, node))}
    keys = [{k: v for k, v in key_view(key).items() if k in ("name", "vkey", "role", "org", "createdAt", "revokedAt")}
            for key in published_keys(session)]
    return ledger.build_bundle(
        cfg.origin, checkpoint.note, keys,
        [ledger.bundle_entry(e.index, e.leaf, ledger.inclusion_proof(e.index, checkpoint.size, node)) for e in entries],
        batches=[batch.trace_code],
        facts={batch.trace_code: batch_facts(batch)},
        extra=extra,
    )


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]
