"""Batches."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.codes.tracecode import TraceCodeError, parse_trace_code
from trace.db import db
from trace.errors import NotFoundError
from trace.schemas.batches import BatchIn, BatchOut, BatchQuery
from trace.schemas.common import page_out
from trace.schemas.events import BatchViewOut, EventOut
from trace.services.audit.verification import page_verdict
from trace.services.quality.views import verdict_view
from trace.services.records import batches as svc

TAG = "Batches"


def parse_code(code: str) -> str:
    """Return the canonical trace code from a URL, or 404 saying whether it is a typo."""
    try:
        return parse_trace_code(code)
    except TraceCodeError as exc:
        raise NotFoundError(f"{code} is not a valid trace code: {exc}", reason=exc.reason) from exc


@route("/batches", "GET", "List batches with their trace codes (paginated; filter by organization, "
       "category, from/to creation time, status)", TAG, response=BatchOut, many=True, query=BatchQuery)
def list_batches() -> Any:
    user = current_user()
    query = load_query(BatchQuery())
    rows, total = svc.list_batches(db.session(), user, query)
    return jsonify(page_out(BatchOut(many=True).dump(rows), query["page"], query["per_page"], total))


@route("/batches", "POST", "Register a batch; the response carries its new trace code (producer)", TAG,
       body=BatchIn, response=BatchOut, status=201, errors=(401, 403, 409, 422))
def register_batch() -> Any:
    user = current_user()
    batch = svc.register_batch(db.session(), user, load(BatchIn(), json_body()), ledger=ledger_config())
    return created(BatchOut().dump(batch), Location=f"/api/v1/batches/{batch.trace_code}")


@route("/batches/<code>", "GET", "One batch with its events and the page's verdict (verified, cautions such as "
       "recalls and failed results here or upstream, who tested and sampled, results through lineage)", TAG,
       response=BatchViewOut, errors=(401, 403, 404))
def get_batch(code: str) -> Any:
    user = current_user()
    batch = svc.read_batch(db.session(), user, parse_code(code))
    body = BatchOut().dump(batch)
    events = svc.batch_events(db.session(), batch)
    body["events"] = EventOut(many=True).dump(events)
    body["verdict"] = verdict_view(page_verdict(db.session(), ledger_config(), batch, events))
    return jsonify(body)


@route("/batches/<code>/events", "GET", "A batch's events, oldest first", TAG, response=EventOut, many=True)
def list_batch_events(code: str) -> Any:
    user = current_user()
    batch = svc.read_batch(db.session(), user, parse_code(code))
    return jsonify(items=EventOut(many=True).dump(svc.batch_events(db.session(), batch)))
