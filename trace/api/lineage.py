"""Lineage (trace backward and forward) and recalls."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.api.batches import parse_code
from trace.db import db
from trace.models.organization import Role
from trace.schemas.lineage import RecallCloseIn, RecallIn, RecallQuery, TraceGraphQuery, TraceQuery
from trace.services.lineage import recalls as recall_svc
from trace.services.lineage.lineage import Direction, build_lineage, lineage_view, restrict_to_readable
from trace.services.lineage.lineage_svg import lineage_svg
from trace.services.records.batches import read_batch

TAG = "Lineage and recalls"


@route("/batches/<code>/trace", "GET", "Trace a batch backward (sources, plots), forward (batches made from it, "
       "organizations that received them) or both, through processing, splits and merges", TAG,
       query=TraceQuery, errors=(401, 403, 404, 422))
def trace_batch(code: str) -> Any:
    query = load_query(TraceQuery())
    return jsonify(_lineage(code, query["direction"]))


def _lineage(code: str, direction: Direction) -> dict[str, Any]:
    """Return the lineage view of a batch as the current user may see it."""
    user = current_user()
    batch = read_batch(db.session(), user, parse_code(code))
    lineage = build_lineage(db.session(), batch, direction)
    if user.role == Role.PRODUCER:
        lineage = restrict_to_readable(lineage, user)
    return lineage_view(lineage)


@route("/batches/<code>/trace.svg", "GET", "The trace as a graph for inspectors (SVG): sources, the batch and what "
       "was made from it, with the quantity along each link and recalled batches in red (?direction=, ?lang=zh|en)",
       TAG, query=TraceGraphQuery, produces="image/svg+xml", errors=(401, 403, 404, 422))
def trace_graph(code: str) -> Any:
    query = load_query(TraceGraphQuery())
    svg = lineage_svg(_lineage(code, query["direction"]), query["lang"])
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-cache"})


@route("/batches/<code>/recalls", "POST", "Recall a batch and every batch made from it (inspector, or the "
       "producing organization); a signed recall record goes on each", TAG, body=RecallIn, status=201,
       errors=(401, 403, 404, 415, 422))
def open_recall(code: str) -> Any:
    user = current_user()
    body = load(RecallIn(), json_body())
    batch = read_batch(db.session(), user, parse_code(code))
    recall = recall_svc.open_recall(db.session(), user, batch, body["reason"], ledger=ledger_config())
    return created(recall_svc.recall_view(db.session(), recall), Location=f"/api/v1/recalls/{recall.id}")


@route("/recalls", "GET", "Recalls, newest first", TAG, query=RecallQuery)
def list_recalls() -> Any:
    user = current_user()
    query = load_query(RecallQuery())
    rows = recall_svc.list_recalls(db.session(), user, query.get("status"))
    return jsonify(items=[recall_svc.recall_summary(r) for r in rows])


@route("/recalls/<id:recall_id>", "GET", "A recall: the batches it reached and who holds them (custodians, "
       "recipients, with contacts)", TAG, errors=(401, 403, 404))
def get_recall(recall_id: int) -> Any:
    user = current_user()
    return jsonify(recall_svc.recall_view(db.session(), recall_svc.get_recall(db.session(), user, recall_id)))


@route("/recalls/<id:recall_id>/notice.csv", "GET", "The recall notice as CSV (UTF-8 with BOM; headers in "
       "Chinese and English)", TAG, produces="text/csv", errors=(401, 403, 404))
def recall_notice(recall_id: int) -> Any:
    user = current_user()
    recall = recall_svc.get_recall(db.session(), user, recall_id)
    return Response(recall_svc.notice_csv(db.session(), recall), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="recall-{recall.id}-notice.csv"'})


@route("/recalls/<id:recall_id>/close", "POST", "Close a recall with a note; a signed closing record goes on "
       "each batch it reached", TAG, body=RecallCloseIn, errors=(401, 403, 404, 409, 415, 422))
def close_recall(recall_id: int) -> Any:
    user = current_user()
    body = load(RecallCloseIn(), json_body())
    recall = recall_svc.close_recall(db.session(), user, recall_id, body["note"], ledger=ledger_config())
    return jsonify(recall_svc.recall_view(db.session(), recall))
