"""QR images and label sheets: every QR code is decoded, from PNG, SVG and PDFs rasterised at 150 dpi."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import pytest

from tests.api.helpers import BASE, GTIN, assert_problem
from tests.codes.helpers import crop_mm, decode, open_pdf, page_text, png_image, render, svg_image
from tests.factories import event_body
from tests.helpers import make_config
from trace import create_app
from trace.codes.labels import LAYOUTS, label_boxes
from trace.codes.qr import qr_symbol
from trace.times import CHINA

# QR images -----------------------------------------------------------------------------------------


def test_qr_png_is_public_and_decodes_to_the_batch_url(client, labelled):
    batch, url = labelled
    r = client.get(f"/api/v1/batches/{batch.trace_code}/qr.png")
    assert r.status_code == 200
    assert r.mimetype == "image/png"
    assert r.headers["Cache-Control"] == "public, max-age=86400"
    assert r.headers["ETag"]
    (found,) = decode(png_image(r.data))
    assert (found.text, found.ec_level) == (url, "M")
    assert found.version == qr_symbol(url).version
    assert qr_symbol(url).modes == ("alphanumeric",)  # uppercase all through: the smallest symbol


def test_qr_svg_is_public_and_decodes_to_the_batch_url(client, labelled):
    batch, url = labelled
    r = client.get(f"/api/v1/batches/{batch.trace_code}/qr.svg")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    assert r.headers["Cache-Control"] == "public, max-age=86400"
    (found,) = decode(svg_image(r.get_data(as_text=True)))
    assert (found.text, found.ec_level) == (url, "M")


def test_qr_error_correction_q_and_size_on_request(client, labelled):
    batch, url = labelled
    r = client.get(f"/api/v1/batches/{batch.trace_code}/qr.png", query_string={"ec": "q", "size": 3})
    assert r.status_code == 200
    image = png_image(r.data)
    assert image.size == ((qr_symbol(url, "Q").size + 8) * 3,) * 2
    (found,) = decode(image)
    assert (found.text, found.ec_level) == (url, "Q")
    r = client.get(f"/api/v1/batches/{batch.trace_code}/qr.svg", query_string={"ec": "Q"})
    (found,) = decode(svg_image(r.get_data(as_text=True)))
    assert (found.text, found.ec_level) == (url, "Q")


def test_a_lot_without_a_digital_link_falls_back_to_the_trace_code(client, producer, make):
    batch = make.batch(producer, make.product(producer, gtin=GTIN), lot="L#7")  # "#" is outside GS1 set 82
    r = client.get(f"/api/v1/batches/{batch.trace_code}/qr.png")
    assert decode(png_image(r.data))[0].text == f"{BASE}/T/{batch.trace_code}"
    run = issue_run(client, producer, batch, 2)
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", headers=producer.headers,
                   query_string={"layout": "a4-2x7", "run": run["id"]})
    assert decode_labels(r.data, "a4-2x7", 2)[0] == [f"{BASE}/T/{unit['serial']}" for unit in run["units"]]


def test_qr_etag_answers_304_and_differs_by_options(client, producer, make):
    batch = make.batch(producer)
    path = f"/api/v1/batches/{batch.trace_code}/qr.png"
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert client.get(path, query_string={"ec": "Q"}).headers["ETag"] != first.headers["ETag"]
    assert client.get(path.replace(".png", ".svg")).headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize(("kind", "query", "field"), [
    ("png", {"ec": "H"}, "ec"),
    ("png", {"size": "0"}, "size"),
    ("png", {"size": "41"}, "size"),
    ("png", {"size": "big"}, "size"),
    ("svg", {"ec": "L"}, "ec"),
    ("svg", {"size": "10"}, "size"),  # an SVG has no pixel size
])
def test_bad_qr_options_are_422_naming_the_parameter(client, producer, make, kind, query, field):
    batch = make.batch(producer)
    r = client.get(f"/api/v1/batches/{batch.trace_code}/qr.{kind}", query_string=query)
    body = assert_problem(r, 422, "validation", field)
    assert "查询参数" in body["detail"]


@pytest.mark.parametrize("suffix", ["qr.png", "qr.svg", "labels.pdf?layout=a4-3x7", "certificate.pdf"])
@pytest.mark.parametrize("code", ["ABCDEFGHJKMNQ", "ABCDEFGHJKMNP", "nonsense"])
def test_unknown_or_mistyped_code_is_404(client, make, code, suffix):
    admin = make.actor("admin")
    r = client.get(f"/api/v1/batches/{code}/{suffix}", headers=admin.headers)
    assert_problem(r, 404, "not-found")


def test_public_qr_codes_are_rate_limited_unless_configured_off():
    """Separate apps with a tiny limit: requests to the shared test app must not use its budget up.

    The limiter is a module global; the enabled app comes last, so it is left on.
    """
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config("sqlite", Path(tmp)).with_(public_rate_limit="2/minute")
        unlimited = create_app(config.with_(rate_limit_enabled=False)).test_client()
        assert [unlimited.get("/api/v1/batches/nonsense/qr.png").status_code for _ in range(3)] == [404] * 3
        client = create_app(config).test_client()
        statuses = [client.get("/api/v1/batches/nonsense/qr.png").status_code for _ in range(3)]
        assert statuses == [404, 404, 429]
        assert_problem(client.get("/api/v1/batches/nonsense/qr.png"), 429, "too-many-requests")
        assert client.get("/api/v1/batches/nonsense/qr.svg").status_code == 404  # each image its own budget


def test_behind_a_proxy_each_forwarded_client_has_its_own_budget():
    """TRACE_PROXY_HOPS=1: the limit keys on X-Forwarded-For; without it, all clients share the proxy's."""
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config("sqlite", Path(tmp)).with_(public_rate_limit="2/minute")

        def statuses(app, forwarded_for):
            client = app.test_client()
            return [client.get("/api/v1/batches/nonsense/qr.png", headers={"X-Forwarded-For": forwarded_for},
                               environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code for _ in range(3)]

        direct = create_app(config)
        assert statuses(direct, "203.0.113.7") == [404, 404, 429]
        assert statuses(direct, "203.0.113.8") == [429] * 3  # the proxy's address, used up
        proxied = create_app(config.with_(proxy_hops=1))
        assert statuses(proxied, "198.51.100.7") == [404, 404, 429]
        assert statuses(proxied, "198.51.100.8") == [404, 404, 429]


# Label sheets -------------------------------------------------------------------------------------


def decode_labels(pdf, layout, count):
    """Return, page by page, the text each label's QR code decodes to (cropped to its box)."""
    spec = LAYOUTS[layout]
    found = []
    with open_pdf(pdf) as document:
        assert len(document) == math.ceil(count / spec.per_page)
        pages = {i: render(document[i]) for i in range(len(document))}
        texts = [page_text(document[i]) for i in range(len(document))]
    for page, x, y, w, h in label_boxes(layout, count):
        (symbol,) = decode(crop_mm(pages[page], x, y, x + w, y + h))
        found.append(symbol.text)
    return found, texts


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_labels_decode_to_the_batch_url_with_its_text(client, labelled, producer, layout):
    batch, url = labelled
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", query_string={"layout": layout},
                   headers=producer.headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/pdf"
    assert r.headers["Cache-Control"] == "private, no-cache"
    assert f"labels-{batch.trace_code}-{layout}.pdf" in r.headers["Content-Disposition"]
    count = LAYOUTS[layout].per_page  # one sheet by default
    found, texts = decode_labels(r.data, layout, count)
    assert found == [url] * count
    for expected in (batch.product.name, batch.trace_code, batch.lot, producer.org.name[:4], "扫码溯源"):
        assert expected in texts[0], expected
    assert "日期" not in texts[0]  # no harvest or production recorded: no date, not the registration's


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_labels_print_the_harvest_date_not_the_registration_date(client, producer, make, layout):
    batch = make.batch(producer)
    harvested = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    body = event_body("harvest", [batch], {"quantity": "100", "uom": "KGM"}, occurredAt=harvested.isoformat())
    assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 201
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", query_string={"layout": layout, "count": 1},
                   headers=producer.headers)
    with open_pdf(r.data) as document:
        text = page_text(document[0])
    day = harvested.astimezone(CHINA).date().isoformat()
    assert f"采收日期 {day}" in text
    assert batch.created_at.astimezone(CHINA).date().isoformat() not in text
    english = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", query_string={"layout": layout, "count": 1},
                         headers={**producer.headers, "Accept-Language": "en"})
    with open_pdf(english.data) as document:
        text = page_text(document[0])
    assert f"Harvested {day}" in text and "Scan to trace" in text


def test_label_count_spans_pages(client, producer, make):
    batch = make.batch(producer)
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", query_string={"layout": "a4-2x7", "count": 17},
                   headers=producer.headers)
    assert r.status_code == 200
    found, _ = decode_labels(r.data, "a4-2x7", 17)
    assert found == [f"{BASE}/T/{batch.trace_code}"] * 17
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf",
                   query_string={"layout": "thermal-50x30", "count": 3, "ec": "Q"}, headers=producer.headers)
    with open_pdf(r.data) as document:
        assert len(document) == 3
        assert decode(render(document[2]))[0].ec_level == "Q"


@pytest.mark.parametrize(("query", "field"), [
    ({"layout": "a4-4x10"}, "layout"),
    ({}, "layout"),
    ({"layout": "a4-3x7", "count": "0"}, "count"),
    ({"layout": "a4-3x7", "count": "1001"}, "count"),
    ({"layout": "a4-3x7", "count": "ten"}, "count"),
    ({"layout": "a4-3x7", "ec": "X"}, "ec"),
    ({"layout": "a4-3x7", "colour": "red"}, "colour"),
])
def test_bad_label_options_are_422_naming_the_parameter(client, producer, make, query, field):
    batch = make.batch(producer)
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", query_string=query, headers=producer.headers)
    body = assert_problem(r, 422, "validation", field)
    if field == "layout" and query:
        assert "a4-2x7" in body["errors"]["layout"][0] and "版式" in body["errors"]["layout"][0]


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 401), ("other producer", 403), ("producer", 200), ("inspector", 200), ("admin", 200),
])
def test_who_may_print_labels(client, make, producer, who, status):
    batch = make.batch(producer)
    actors = {"producer": producer, "other producer": make.actor("producer"), "inspector": make.actor("inspector"),
              "admin": make.actor("admin")}
    headers = actors[who].headers if who in actors else {}
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf?layout=thermal-50x30", headers=headers)
    assert r.status_code == status
    if status != 200:
        assert_problem(r, status, "unauthenticated" if status == 401 else "forbidden")


def issue_run(client, actor, batch, count):
    r = client.post(f"/api/v1/batches/{batch.trace_code}/labels", json={"count": count}, headers=actor.headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.json


def test_a_label_run_prints_one_label_per_unit_serial(client, labelled, producer):
    batch, url = labelled
    run = issue_run(client, producer, batch, 23)
    serials = [unit["serial"] for unit in run["units"]]
    # Each unit's own URL: the batch's Digital Link with /21/<serial>, or /T/<serial>.
    expected = [f"{url}/21/{s}" if "/01/" in url else f"{BASE}/T/{s}" for s in serials]
    assert expected == [unit["url"] for unit in run["units"]]
    r = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", headers=producer.headers,
                   query_string={"layout": "a4-3x7", "run": run["id"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert f"run{run['id']}" in r.headers["Content-Disposition"]
    found, texts = decode_labels(r.data, "a4-3x7", 23)
    assert found == expected
    assert [s for s in serials[:21] if s not in texts[0]] == []  # whole on the label, never ellipsized
    assert [s for s in serials[21:] if s not in texts[1]] == []
    part = client.get(f"/api/v1/batches/{batch.trace_code}/labels.pdf", headers=producer.headers,
                      query_string={"layout": "a4-2x7", "run": run["id"], "start": 20, "count": 2})
    assert decode_labels(part.data, "a4-2x7", 2)[0] == expected[20:22]


def test_bad_label_runs_are_refused(client, producer, make):
    batch, other = make.batch(producer), make.batch(producer)
    run = issue_run(client, producer, batch, 3)["id"]
    path = f"/api/v1/batches/{batch.trace_code}/labels.pdf"

    def get(code=batch.trace_code, **query):
        return client.get(f"/api/v1/batches/{code}/labels.pdf", query_string={"layout": "a4-3x7", **query},
                          headers=producer.headers)

    assert_problem(get(other.trace_code, run=run), 404, "not-found")
    assert_problem(get(run=run + 1000), 404, "not-found")
    assert_problem(get(run=run, start=3), 422, "validation", "start")
    assert_problem(get(start=1), 422, "validation", "start")
    assert_problem(get(run="x"), 422, "validation", "run")
    assert_problem(client.get(path, query_string={"layout": "a4-3x7", "run": run},
                              headers=make.actor("producer").headers), 403, "forbidden")


def test_a_run_longer_than_one_request_prints_in_parts(client, producer, make):
    batch = make.batch(producer)
    run = issue_run(client, producer, batch, 1001)["id"]
    query = {"layout": "thermal-50x30", "run": run}
    path = f"/api/v1/batches/{batch.trace_code}/labels.pdf"
    body = assert_problem(client.get(path, query_string=query, headers=producer.headers), 422, "validation", "count")
    assert "start" in body["detail"] and "分次" in body["detail"]
    last = client.get(path, query_string={**query, "start": 1000}, headers=producer.headers)
    with open_pdf(last.data) as document:
        assert len(document) == 1


def test_openapi_describes_the_printing_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert paths["/api/v1/batches/{code}/qr.png"]["get"]["security"] == []
    assert "security" not in paths["/api/v1/batches/{code}/labels.pdf"]["get"]
    assert "201" in paths["/api/v1/batches/{code}/certificate"]["post"]["responses"]
    assert "/api/v1/batches/{code}/certificate.pdf" in paths
