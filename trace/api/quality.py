"""Laboratories: the tests a laboratory was asked to do (requests and supervisory samples) and their answers."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import current_user, route
from trace.db import db
from trace.services.quality.laboratories import AskedTest, list_asked_tests
from trace.services.signing.keys import rfc3339

TAG = "Laboratories"


def _asked(asked: AskedTest) -> dict[str, Any]:
    record = asked.record
    return {"id": record.id, "stage": record.stage, "organization": record.organization_id,
            "laboratory": (record.data or {}).get("laboratory"), "occurredAt": rfc3339(record.occurred_at),
            "batches": [line.batch.trace_code for line in record.batches if line.role == "subject"],
            "items": (record.data or {}).get("items") or [], "answers": [e.id for e in asked.answers]}


@route("/test-requests", "GET", "Test requests (委托检测) and supervisory samples (监督抽检): those addressed to "
       "your laboratory (lab), or those your organization made (producer, inspector); each with the results that "
       "answer it. A laboratory answers one by POST /events with stage inspection and data.request or data.sample",
       TAG, errors=(401,))
def list_test_requests() -> Any:
    user = current_user()
    return jsonify(items=[_asked(a) for a in list_asked_tests(db.session(), user)])
