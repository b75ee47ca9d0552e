"""Unit labels: issue runs of unit serials for a batch and list them with their scan counts."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from trace.api.base import created, current_user, json_body, load, route
from trace.api.batches import parse_code
from trace.db import db
from trace.models import Batch, LabelRun, UnitCode
from trace.schemas.labels import LabelRunOut, LabelsIn
from trace.services.printing import labels as svc
from trace.services.records.batches import find_batch

TAG = "Labels"


def _run_view(batch: Batch, run: LabelRun, units: list[UnitCode] | None, scanned: int | None = None) -> dict[str, Any]:
    public_url = current_app.config["TRACE"].public_url
    body: dict[str, Any] = {"id": run.id, "batch": batch.trace_code, "count": run.count, "created_at": run.created_at}
    if units is not None:
        scans = svc.unit_scans(db.session(), [u.serial for u in units])
        body["units"] = [{"serial": u.serial, "url": svc.unit_url(public_url, batch, u.serial),
                          "scan_count": n, "first_scanned_at": first, "last_scanned_at": last}
                         for u in units for n, first, last in [scans.get(u.serial, (0, None, None))]]
        scanned = len(scans)
    body["scanned"] = scanned
    return LabelRunOut().dump(body)  # type: ignore[no-any-return]


@route("/batches/<code>/labels", "POST", "Issue a run of unit serials for a batch, with their lookup URLs "
       "(producer of the batch's organization, or admin; at most 10,000)", TAG, body=LabelsIn, response=LabelRunOut,
       status=201, errors=(401, 403, 404, 422))
def issue_labels(code: str) -> Any:
    user = current_user()
    count = load(LabelsIn(), json_body())["count"]
    batch = find_batch(db.session(), parse_code(code))
    run, units = svc.issue_labels(db.session(), user, batch, count)
    return created(_run_view(batch, run, units), Location=f"/api/v1/batches/{batch.trace_code}/labels/{run.id}")


@route("/batches/<code>/labels", "GET", "A batch's label runs, newest first, with how many units were looked up",
       TAG, response=LabelRunOut, many=True, errors=(401, 403, 404))
def list_label_runs(code: str) -> Any:
    user = current_user()
    batch = find_batch(db.session(), parse_code(code))
    runs = svc.list_runs(db.session(), user, batch)
    return jsonify(items=[_run_view(batch, run, None, scanned) for run, scanned in runs])


@route("/batches/<code>/labels/<id:run_id>", "GET", "One label run: its unit serials, lookup URLs and scan counts",
       TAG, response=LabelRunOut, errors=(401, 403, 404))
def get_label_run(code: str, run_id: int) -> Any:
    user = current_user()
    batch = find_batch(db.session(), parse_code(code))
    run = svc.get_run(db.session(), user, batch, run_id)
    return jsonify(_run_view(batch, run, svc.run_units(db.session(), run)))
