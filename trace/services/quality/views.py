"""The verdict's who-vouches part as the API shows it (codes and ids; the page localises its own)."""

from __future__ import annotations

from typing import Any

from trace.services.audit.verification import Verification
from trace.services.quality.results import Party, TestResult
from trace.services.signing.keys import rfc3339


def _party(party: Party | None) -> dict[str, Any] | None:
    return None if party is None else {"id": party.id, "name": party.name, "nameEn": party.name_en}


def result_view(r: TestResult) -> dict[str, Any]:
    """Return a test result: the batch tested, when, the result, and who signed it on what basis."""
    return {"record": r.record, "batch": r.batch, "product": r.product, "depth": r.depth, "source": r.source,
            "occurredAt": rfc3339(r.occurred_at), "result": r.result, "kind": r.kind, "basis": r.basis,
            "signedBy": _party(r.signer), "lab": _party(r.lab), "sampledBy": _party(r.sampler),
            "requestedBy": _party(r.requester), "answers": r.asked, "reportNumber": r.report_number,
            "items": list(r.items)}


def verdict_view(v: Verification) -> dict[str, Any]:
    """Return what the page may claim and who vouches: verified, cleared, cautions, endorsements, results, credentials.

    ``endorsements`` are tested by / sampled by; ``credentials`` are certified by / brand authorised by.
    """
    return {
        "verified": v.verified, "cleared": v.cleared, "records": v.records, "checkpoint": v.checkpoint_size,
        "problems": [{"kind": p.kind, "event": p.event_id, "detail": p.detail} for p in v.problems],
        "cautions": [{"kind": c.kind, "batch": c.batch, "record": c.record} for c in v.cautions],
        "endorsements": [{"kind": e.kind, "by": _party(e.by), "batch": e.batch, "record": e.record,
                          "basis": e.basis, "at": rfc3339(e.at) if e.at else None,
                          "until": e.until.isoformat() if e.until else None} for e in v.endorsements],
        "results": [result_view(r) for r in v.results],
        "credentials": [{"kind": c.kind, "what": c.what, "number": c.number, "by": c.by, "state": c.state,
                         "until": c.until.isoformat() if c.until else None, "records": list(c.records)}
                        for c in v.credentials],
    }
