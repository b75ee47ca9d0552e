"""GET /api/v1/statistics and /api/v1/reports/monthly: who sees what, bad periods, the report's formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook

from tests.api.helpers import assert_problem
from tests.factories import event_body
from trace.services.statistics.reports import COLUMNS
from trace.times import CHINA


def _today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def _sell(client, make, amount="30"):
    producer = make.actor("producer")
    batch = make.batch(producer, quantity="100")
    body = event_body("sale", [batch], {"channel": "online", "quantity": "3", "uom": "KGM", "amount": amount,
                                        "order": "ORD-API-1"})
    assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    return producer


def test_inspectors_see_the_county_and_producers_their_organization(client, make):
    a, b = _sell(client, make, "30"), _sell(client, make, "70")
    day = _today().isoformat()
    url = f"/api/v1/statistics?group=organization&from={day}&to={day}"
    county = client.get(url, headers=make.actor("inspector").headers)
    assert county.status_code == 200, county.json
    amounts = {row["key"]: row["sales"]["online"]["amount"] for row in county.json["rows"]}
    assert amounts[a.org.id] == "30" and amounts[b.org.id] == "70"
    own = client.get(url, headers=a.headers).json
    assert [row["key"] for row in own["rows"]] == [a.org.id]
    assert own["total"]["sales"]["online"]["amount"] == "30"
    assert_problem(client.get(url), 401, "unauthenticated")


def test_bad_groups_and_periods_are_422(client, make):
    inspector = make.actor("inspector")
    for query, field in (("group=village&from=2026-01-01&to=2026-01-31", "group"),
                         ("group=township&from=2026-02-01&to=2026-01-31", "to"),
                         ("group=township&from=2026-13-01&to=2026-12-31", "from"),
                         ("group=township&from=2000-01-01&to=2026-01-01", "to"),
                         ("group=township&to=2026-01-01", "from")):
        assert_problem(client.get(f"/api/v1/statistics?{query}", headers=inspector.headers), 422, "validation", field)
    for month in ("2026-13", "2026-1", "26-01", "", "0000-01", "0001-12", "9999-12"):
        r = client.get(f"/api/v1/reports/monthly?month={month}&format=csv", headers=inspector.headers)
        assert_problem(r, 422, "validation", "month")
    r = client.get("/api/v1/reports/monthly?month=2026-01&format=doc", headers=inspector.headers)
    assert_problem(r, 422, "validation", "format")


def test_the_monthly_report_in_csv_xlsx_and_pdf(client, make):
    _sell(client, make, "30")
    inspector = make.actor("inspector")
    month = _today().isoformat()[:7]
    r = client.get(f"/api/v1/reports/monthly?month={month}&format=csv", headers=inspector.headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == f'attachment; filename="suyuan-monthly-{month}.csv"'
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert tuple(rows[0].keys()) == COLUMNS
    total = {(row["figure"], row["unit"]): row for row in rows if row["section"] == "total"}
    assert total[("sales_online_amount_cny", "")]["value"] == "30"
    assert total[("sales_online_count", "")]["value"] == "1"
    assert total[("lookups", "")]["value"] == "0"  # no page was looked up in this test
    book = load_workbook(io.BytesIO(client.get(f"/api/v1/reports/monthly?month={month}&format=xlsx",
                                               headers=inspector.headers).get_data()))
    assert book.sheetnames == ["total", "township", "category"]
    header = [cell.value for cell in next(book["total"].iter_rows(max_row=1))]
    assert tuple(header) == COLUMNS
    pdf = client.get(f"/api/v1/reports/monthly?month={month}&format=pdf", headers=inspector.headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")
    # Totals, townships, categories and the chart page.
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf.get_data())) == 4


def test_aid_marks_are_kept_by_admins_and_read_by_the_permitted(client, make):
    admin, producer, other = make.actor("admin"), make.actor("producer"), make.actor("producer")
    url = f"/api/v1/organizations/{producer.org.id}/aid"
    assert_problem(client.put(url, json={"kind": "household"}, headers=producer.headers), 403, "forbidden")
    assert_problem(client.put(url, json={"kind": "cooperative"}, headers=admin.headers), 422, "validation",
                   "households")
    r = client.put(url, json={"kind": "cooperative", "households": 7}, headers=admin.headers)
    assert r.status_code == 200 and r.json == {"organization": producer.org.id, "kind": "cooperative",
                                               "households": 7}
    assert client.get(url, headers=producer.headers).json["households"] == 7
    assert client.get(url, headers=make.actor("inspector").headers).json["kind"] == "cooperative"
    assert_problem(client.get(url, headers=other.headers), 403, "forbidden")
    r = client.put(url, json={"kind": None}, headers=admin.headers)
    assert r.json["kind"] is None and client.get(url, headers=producer.headers).json["kind"] is None
