"""Compliance findings for inspectors."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import current_user, json_body, load, load_query, route
from trace.db import db
from trace.schemas.common import page_out
from trace.schemas.lineage import ComplianceRunIn, FindingQuery, ResolveIn
from trace.services.compliance import compliance as svc

TAG = "Compliance"


@route("/compliance/run", "POST", "Run every compliance rule over all batches, one batch's lineage, or the "
       "batches with events from/to (inspector, admin); idempotent", TAG, body=ComplianceRunIn,
       errors=(401, 403, 404, 415, 422))
def run_compliance() -> Any:
    user = current_user()
    scope = load(ComplianceRunIn(), json_body())
    scope = {"batch": scope["batch"]} if "batch" in scope else {
        k: scope[v] for k, v in (("from", "start"), ("to", "end")) if v in scope}
    return jsonify(svc.run_checks(db.session(), user, scope))


@route("/compliance/findings", "GET", "Compliance findings, most severe first (inspector, admin); filter by "
       "severity and rule (comma-separated), batch, status (open by default)", TAG, query=FindingQuery,
       errors=(401, 403, 422))
def list_findings() -> Any:
    user = current_user()
    query = load_query(FindingQuery())
    rows, total = svc.list_findings(db.session(), user, query)
    return jsonify(page_out([svc.finding_view(f) for f in rows], query["page"], query["per_page"], total))


@route("/compliance/findings/<id:finding_id>/resolve", "POST", "Resolve a finding with a note (inspector, admin)",
       TAG, body=ResolveIn, errors=(401, 403, 404, 409, 415, 422))
def resolve_finding(finding_id: int) -> Any:
    user = current_user()
    body = load(ResolveIn(), json_body())
    return jsonify(svc.finding_view(svc.resolve_finding(db.session(), user, finding_id, body["note"])))
