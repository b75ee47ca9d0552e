"""Printed codes follow the configured public URL (``make run PORT=5101``), never the request's Host header."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.codes.helpers import decode, open_pdf, png_image, render
from tests.factories import live_producer
from tests.helpers import build_migrated_app
from trace.config import Config
from trace.db import db

SERVED = Config.from_env({"TRACE_HOST": "127.0.0.1", "TRACE_PORT": "5101"}).public_url
FOREIGN_HOST = {"Host": "attacker.example:8080"}


@pytest.fixture(scope="module")
def served():
    """An app on its own SQLite database whose public URL is what ``make run PORT=5101`` derives."""
    with tempfile.TemporaryDirectory(prefix="suyuan-port-") as tmp:
        app = build_migrated_app("sqlite", Path(tmp), public_url=SERVED)
        client, headers, product = live_producer(app, "端口合作社")
        gtin = client.post("/api/v1/products", headers=headers, json={
            "category": "vegetables", "name": "番茄", "gtin": "06901234567892"}).json
        codes = {}
        for name, made in (("lookup", product), ("digital_link", gtin)):
            batch = client.post("/api/v1/batches", headers=headers, json={
                "product": made["id"], "lot": "P5101", "quantity": "100", "uom": "KGM",
                "origin": {"name": "一号地块"}}).json
            codes[name] = batch["code"]
        yield client, headers, codes
        with app.app_context():
            db.engine.dispose()


def expected(kind: str, code: str) -> str:
    base = SERVED.upper()
    return f"{base}/01/06901234567892/10/P5101" if kind == "digital_link" else f"{base}/T/{code}"


def test_the_derived_public_url_is_the_port_make_run_was_given():
    assert SERVED == "http://127.0.0.1:5101"


@pytest.mark.parametrize("kind", ["lookup", "digital_link"])
def test_qr_images_encode_the_public_url_whatever_host_the_request_named(served, kind):
    client, _, codes = served
    r = client.get(f"/api/v1/batches/{codes[kind]}/qr.png", headers=FOREIGN_HOST)
    assert r.status_code == 200
    assert [found.text for found in decode(png_image(r.data))] == [expected(kind, codes[kind])]


@pytest.mark.parametrize("layout", ["a4-3x7", "thermal-50x30"])
@pytest.mark.parametrize("kind", ["lookup", "digital_link"])
def test_labels_decode_at_150_dpi_to_urls_on_the_port(served, kind, layout):
    client, headers, codes = served
    r = client.get(f"/api/v1/batches/{codes[kind]}/labels.pdf", query_string={"layout": layout, "count": 2},
                   headers={**headers, **FOREIGN_HOST})
    assert r.status_code == 200, r.get_data(as_text=True)
    with open_pdf(r.data) as document:
        texts = [found.text for page in document for found in decode(render(page))]
    assert texts == [expected(kind, codes[kind])] * 2


@pytest.mark.parametrize("kind", ["lookup", "digital_link"])
def test_the_certificate_decodes_at_150_dpi_to_the_url_on_the_port(served, kind):
    client, headers, codes = served
    r = client.post(f"/api/v1/batches/{codes[kind]}/certificate", headers={**headers, **FOREIGN_HOST},
                    json={"basis": ["quality_control"], "contact": "0578-8000000"})
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    r = client.get(f"/api/v1/batches/{codes[kind]}/certificate.pdf", headers={**headers, **FOREIGN_HOST})
    with open_pdf(r.data) as document:
        assert [found.text for found in decode(render(document[0]))] == [expected(kind, codes[kind])]


def test_label_runs_and_link_headers_use_the_public_url(served):
    client, headers, codes = served
    r = client.post(f"/api/v1/batches/{codes['digital_link']}/labels", headers={**headers, **FOREIGN_HOST},
                    json={"count": 2})
    assert r.status_code == 201, r.get_data(as_text=True)
    units = r.json["units"]
    assert [u["url"] for u in units] == [f"{expected('digital_link', '')}/21/{u['serial']}" for u in units]
    r = client.get("/01/06901234567892/10/P5101", headers=FOREIGN_HOST)
    assert r.status_code == 200
    assert "http://127.0.0.1:5101/01/06901234567892/10/P5101" in r.headers["Link"]
    assert "attacker.example" not in r.headers["Link"]
