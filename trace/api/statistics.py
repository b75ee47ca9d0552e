"""County statistics and monthly reports; a record's private values; producers' aid status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from trace.api.base import current_user, json_body, load, load_query, route
from trace.db import db
from trace.schemas.statistics import AidIn, AidOut, MonthlyReportQuery, PrivateValuesOut, StatisticsQuery
from trace.services.organizations import aid as aid_svc
from trace.services.organizations.organizations import get_organization
from trace.services.records.private import read_private
from trace.services.statistics.queries import statistics
from trace.services.statistics.report_files import FORMATS, report_csv, report_pdf, report_xlsx
from trace.services.statistics.reports import monthly_report

TAG = "Statistics"


@route("/statistics", "GET", "Figures of a period by township, category, organization or month (inspectors and "
       "admins: the county; others: their organization); definitions in docs/statistics.md", TAG,
       query=StatisticsQuery, errors=(401, 422))
def get_statistics() -> Any:
    user = current_user()
    query = load_query(StatisticsQuery())
    return jsonify(statistics(db.session(), user, query["group"], query["start"], query["end"]))


@route("/reports/monthly", "GET", "The monthly report (format=csv|xlsx|pdf): totals, townships, categories, "
       "month-on-month and year-on-year change", TAG, query=MonthlyReportQuery, produces="text/csv",
       errors=(401, 422))
def get_monthly_report() -> Any:
    user = current_user()
    query = load_query(MonthlyReportQuery())
    report = monthly_report(db.session(), user, query["month"])
    kind = query["format"]
    body = {"csv": report_csv, "xlsx": report_xlsx, "pdf": report_pdf}[kind](report)
    return Response(body, mimetype=FORMATS[kind].split(";")[0], headers={
        "Content-Disposition": f'attachment; filename="suyuan-monthly-{report.month}.{kind}"',
        "Cache-Control": "no-store"})


@route("/events/<uuid:event_id>/private", "GET", "A record's private values (prices, order, buyer, aid status) "
       "and the salt of its commitment (inspectors, admins, the recording organization)", TAG,
       response=PrivateValuesOut, errors=(401, 403, 404))
def get_private_values(event_id: Any) -> Any:
    user = current_user()
    response = jsonify(PrivateValuesOut().dump(read_private(db.session(), user, str(event_id))))
    response.headers["Cache-Control"] = "no-store"
    return response


@route("/organizations/<id:org_id>/aid", "GET", "Whether a producer is an aid household or a cooperative with "
       "aid households (inspectors, admins, the organization)", TAG, response=AidOut, errors=(401, 403, 404))
def get_aid(org_id: int) -> Any:
    user = current_user()
    aid = aid_svc.read_aid(db.session(), user, get_organization(db.session(), org_id))
    return jsonify(AidOut().dump(aid) if aid else {"organization": org_id, "kind": None, "households": None})


@route("/organizations/<id:org_id>/aid", "PUT", "Mark a producer as an aid household (脱贫户/帮扶对象) or a "
       "cooperative with such members (kind null: unmark) (admin)", TAG, body=AidIn, response=AidOut,
       errors=(401, 403, 404, 422))
def put_aid(org_id: int) -> Any:
    user = current_user()
    fields = load(AidIn(), json_body())
    org = get_organization(db.session(), org_id)
    aid = aid_svc.mark_aid(db.session(), user, org, fields["kind"], fields["households"])
    return jsonify(AidOut().dump(aid) if aid else {"organization": org_id, "kind": None, "households": None})
