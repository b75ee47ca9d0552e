"""Laboratories in the console: the test requests and samples addressed to them, and entering a result.

A result answers one request or sample: it is an ``inspection`` record of the batches asked about,
naming the request (``data.request``) or sample (``data.sample``), recorded through the same
pipeline as the API; the pipeline refuses a result for a request addressed to another laboratory.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaValidationError

from trace.console.blueprint import account, committing, console, roles_required
from trace.console.pages import add_nav, render
from trace.console.stage_form import local_time, say
from trace.db import db
from trace.errors import TraceError
from trace.extensions import page_language
from trace.models.organization import Role
from trace.schemas.events import EventIn
from trace.services.quality.laboratories import AskedTest, list_asked_tests
from trace.services.records import events as event_service
from trace.stages import in_language, stage
from trace.stages.inspection import RESULTS
from trace.times import show_time

ROW_KEYS = ("item", "method", "limit", "measured", "unit", "result")
EXTRA_ROWS = 2  # empty rows below the items asked for

add_nav("console.lab_requests", _l("Test requests"), Role.LAB)


@console.get("/console/lab/requests")
@roles_required(Role.LAB)
def lab_requests() -> Response:
    """The requests and samples addressed to this laboratory, unanswered first."""
    asked = sorted(list_asked_tests(db.session(), account().user), key=lambda a: (bool(a.answers),
                                                                                  -a.record.occurred_at.timestamp()))
    lang = page_language()
    rows = [{"id": a.record.id, "kind": in_language(stage(a.record.stage).label, lang),
             "batches": [eb.batch for eb in a.record.batches], "when": show_time(a.record.occurred_at),
             "items": a.record.data.get("items") or [], "answered": bool(a.answers)} for a in asked]
    return render("console/lab/requests.html", rows=rows)


def _asked(record_id: str) -> AskedTest:
    if len(record_id) > 36:
        abort(404)
    found = next((a for a in list_asked_tests(db.session(), account().user) if a.record.id == record_id), None)
    if found is None:
        abort(404)
    return found


@console.route("/console/lab/requests/<record_id>/result", methods=["GET", "POST"])
@roles_required(Role.LAB)
def lab_result(record_id: str) -> Response:
    """Enter the result of a request or sample: items with limits, measured values, units, method."""
    asked = _asked(record_id)
    form = request.form if request.method == "POST" else {}
    names = [str(n) for n in asked.record.data.get("items") or []]
    count = len(names) + EXTRA_ROWS if names else 5
    if request.method == "POST":
        count = max(count, *(int(k.rsplit("_", 1)[1]) + 1 for k in form if k.startswith("item_")
                             and k.rsplit("_", 1)[1].isdigit() and len(k) < 12), 0)
    rows = [{key: form.get(f"{key}_{i}", names[i] if key == "item" and i < len(names) else "") for key in ROW_KEYS}
            for i in range(min(count, 200))]
    errors: dict[str, list[str]] = {}
    top: list[str] = []
    if request.method == "POST":
        errors, top = _record(asked, rows, form)
        if not errors and not top:
            return redirect(url_for("console.lab_requests"))  # type: ignore[return-value]
    return render("console/lab/result.html", asked=asked, rows=rows, form=form, errors=errors, top=top,
                  results=[(k, str(v)) for k, v in RESULTS.items()],
                  record_id=form.get("record_id") or str(uuid.uuid4()),
                  status=422 if errors or top else 200)


def _record(asked: AskedTest, rows: list[dict[str, str]], form: Any) -> tuple[dict[str, list[str]], list[str]]:
    items = [{k: v.strip() for k, v in row.items() if v.strip()} for row in rows]
    items = [item for item in items if item]
    key = "request" if asked.record.stage == "test_request" else "sample"
    data: dict[str, Any] = {"kind": "inspection", "items": items, "result": form.get("result", ""),
                            key: asked.record.id}
    if form.get("reportNumber", "").strip():
        data["reportNumber"] = form["reportNumber"].strip()
    raw = {"id": form.get("record_id", ""), "stage": "inspection", "occurredAt": local_time(form.get("occurredAt", ""))
           or form.get("occurredAt", ""), "batches": [eb.batch.trace_code for eb in asked.record.batches], "data": data}
    try:
        with committing():
            payload = EventIn().load(raw)
            event_service.record_event(db.session(), account().user, payload,
                                       ledger=current_app.extensions["trace.ledger"])
    except SchemaValidationError as exc:
        messages = dict(exc.messages) if isinstance(exc.messages, dict) else {}
        data_errors = stage("inspection").schema().validate(data)
        return _errors({**messages, **({"data": data_errors} if data_errors else {})}), []
    except TraceError as exc:
        found = _errors(exc.errors or {})
        return found, [] if found else [str(exc)]
    return {}, []


def _errors(messages: dict[str, Any]) -> dict[str, list[str]]:
    """Return errors by form input: ``occurredAt``, ``result``, ``reportNumber``, ``items`` or ``<key>_<row>``."""
    out: dict[str, list[str]] = {}
    for name, value in messages.items():
        if name == "data" and isinstance(value, dict):
            for key, inner in value.items():
                if key == "items" and isinstance(inner, dict):
                    for row, fields in inner.items():
                        for field, texts in (fields.items() if isinstance(fields, dict) else [("item", fields)]):
                            out.setdefault(f"{field}_{row}", []).extend(say(str(t)) for t in _listed(texts))
                else:
                    out.setdefault(key, []).extend(say(str(t)) for t in _listed(inner))
        else:
            out.setdefault(name, []).extend(say(str(t)) for t in _listed(value))
    return out


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
