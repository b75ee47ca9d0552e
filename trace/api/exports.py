"""Exports (EPCIS 2.0, key data elements as CSV/XLSX) and EPCIS capture."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app

from trace.api.base import created, current_user, json_body, ledger_config, load_query, route
from trace.db import db
from trace.interop.kde import to_csv, to_xlsx
from trace.schemas.lineage import ExportQuery
from trace.services.lineage import exports as svc
from trace.services.records.capture import capture_document

TAG = "Exports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _name(query: dict[str, Any], ext: str) -> str:
    if "batch" in query:
        return f"suyuan-{query['batch']}.{ext}"
    return f"suyuan-{query['start']:%Y%m%d}-{query['end']:%Y%m%d}.{ext}"


@route("/exports/epcis", "GET", "An EPCIS 2.0 JSON-LD document: a batch's whole lineage (batch=) or the events "
       "that occurred from/to, with master data", TAG, query=ExportQuery, produces="application/ld+json",
       errors=(401, 403, 404, 413, 422))
def export_epcis() -> Any:
    user = current_user()
    query = load_query(ExportQuery())
    doc = svc.epcis_document(db.session(), user, svc.scope_of(query), current_app.config["TRACE"].public_url)
    return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/ld+json",
                    headers={"Content-Disposition": f'inline; filename="{_name(query, "jsonld")}"'})


CAPTURE_MEDIA = ("application/ld+json", "application/json")


@route("/capture", "POST", "Capture an EPCIS 2.0 document sent as application/ld+json (EPCIS 2.0's REST binding) "
       "or application/json (validated against GS1's JSON Schema; all or nothing). Idempotent by eventID; an "
       "event without one is named by its CBV 2.0 event hash ID, which exports carry. The same id with the same "
       "content is a replay, with other content a 409. Producers capture their own events, admins anyone's", TAG,
       status=201, consumes=CAPTURE_MEDIA, errors=(401, 403, 409, 413, 415, 422), replays=True)
def capture() -> Any:
    user = current_user()
    doc = json_body(CAPTURE_MEDIA)
    result = capture_document(db.session(), user, doc, ledger=ledger_config(),
                              limit=current_app.config["TRACE"].bulk_limit)
    return created(result, 201 if result["captured"] else 200)


@route("/exports/kde.csv", "GET", "Key data elements per tracking event as CSV (batch= or from/to; UTF-8 with BOM; "
       "headers in Chinese and English)", TAG, query=ExportQuery, produces="text/csv", errors=(401, 403, 404, 413, 422))
def export_kde_csv() -> Any:
    user = current_user()
    query = load_query(ExportQuery())
    rows = svc.kde_table(db.session(), user, svc.scope_of(query))
    return Response(to_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_name(query, "csv")}"'})


@route("/exports/kde.xlsx", "GET", "Key data elements per tracking event as an XLSX workbook (filterable header)",
       TAG, query=ExportQuery, produces=XLSX, errors=(401, 403, 404, 413, 422))
def export_kde_xlsx() -> Any:
    user = current_user()
    query = load_query(ExportQuery())
    rows = svc.kde_table(db.session(), user, svc.scope_of(query))
    return Response(to_xlsx(rows), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{_name(query, "xlsx")}"'})
