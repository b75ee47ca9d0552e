"""Every page, PDF, spreadsheet and export renders whatever the pipeline accepted, values at its bounds included."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pypdfium2
import pytest
from openpyxl import load_workbook

from tests.api.helpers import assert_problem
from tests.factories import event_body
from trace.ledger.numbers import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS

# Texts inside the records' grammar that once broke, or could break, a document.
TEXTS = {
    "markup": "<script>alert(1)</script> & \"q\" 'a' {{ 7*7 }} {% raw %}",
    "slot": "<!--slot:token:00--> \x00token\x00".replace("\x00", ""),
    "astral": "番茄🍅𠀀\U0010fffd 𝔘",
    "bidi": "\u202eevil\u202c \u200b\u200d\u2028\u2029 end",
    "nonchar": "\ufeff\ufffe\uffff\U0001fffe",
    "formula": "=HYPERLINK(\"http://x\",\"y\")",
    "tab_lf": "a\tb\nc",
    "long": "长" * 199 + "🍅",
}
BIGGEST = "9" * MAX_INTEGER_DIGITS + "." + "9" * MAX_FRACTION_DIGITS
SMALLEST = "-" + BIGGEST
TINY = "0." + "0" * (MAX_FRACTION_DIGITS - 1) + "1"


@pytest.fixture()
def scene(client, make):
    producer = make.actor("producer")
    product = make.product(producer, name=TEXTS["markup"][:60] + TEXTS["astral"])
    batch = make.batch(producer, product, quantity="999999999.999999")
    for stage, data in [
        ("storage", {"warehouse": TEXTS["slot"] + TEXTS["bidi"]}),
        ("storage", {"warehouse": TEXTS["nonchar"] + TEXTS["formula"]}),
        ("storage", {"warehouse": TEXTS["long"]}),
        ("inspection", {"result": "pass", "lab": TEXTS["tab_lf"], "items": [
            {"item": TEXTS["astral"], "limit": BIGGEST, "measured": SMALLEST, "unit": TEXTS["bidi"][:32],
             "result": "pass"},
            {"item": TEXTS["markup"][:100], "limit": TINY, "measured": "0", "result": "pass"}]}),
    ]:
        r = client.post("/api/v1/events", json=event_body(stage, [batch], data), headers=producer.headers)
        assert r.status_code == 201, r.get_data(as_text=True)
    r = client.post(f"/api/v1/batches/{batch.trace_code}/certificate", headers=producer.headers, json={
        "basis": ["self_test"], "contact": TEXTS["astral"] + TEXTS["bidi"][:40], "origin": TEXTS["nonchar"]})
    assert r.status_code == 201, r.get_data(as_text=True)
    return {"producer": producer, "batch": batch, "code": batch.trace_code}


def _get(client, url, headers=None):
    r = client.get(url, headers=headers or {})
    assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:500])
    return r


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_lookup_page_escapes_and_shows_every_value(client, scene, lang):
    html = _get(client, f"/t/{scene['code']}?lang={lang}").get_data(as_text=True)
    client.get("/t/?lang=zh")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<!--slot:token:00-->" not in html  # the imitation is escaped, not filled
    assert "&lt;!--slot:token:00--&gt;" in html
    assert "<!--slot:" not in html  # every real slot was filled
    assert "🍅" in html and "𠀀" in html
    assert "999,999,999,999,999.999999999" in html or BIGGEST in html


def test_the_page_as_json_keeps_the_exact_values(client, scene):
    view = _get(client, f"/t/{scene['code']}", {"Accept": "application/json"}).get_json()
    text = json.dumps(view, ensure_ascii=False)
    assert BIGGEST in text and SMALLEST in text and TINY in text
    assert TEXTS["astral"] in text


def test_the_certificate_pdf_draws_what_it_can(client, scene):
    pdf = _get(client, f"/api/v1/batches/{scene['code']}/certificate.pdf", scene["producer"].headers).data
    document = pypdfium2.PdfDocument(pdf)
    text = document[0].get_textpage().get_text_range()
    assert "番茄" in text and "〓" in text  # the emoji and the astral character are marked missing
    assert "\u202e" not in text


def test_label_sheets_render(client, scene):
    pdf = _get(client, f"/api/v1/batches/{scene['code']}/labels.pdf?layout=a4-3x7&count=1",
               scene["producer"].headers).data
    assert len(pypdfium2.PdfDocument(pdf)) == 1


def test_kde_spreadsheets_hold_every_record(client, scene):
    headers = scene["producer"].headers
    book = load_workbook(io.BytesIO(_get(client, f"/api/v1/exports/kde.xlsx?batch={scene['code']}", headers).data))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    joined = "\n".join(cells)
    assert TEXTS["long"] in joined
    assert not any(c.startswith("=") for c in cells)  # a formula is text, never run
    rows = list(csv.reader(io.StringIO(_get(client, f"/api/v1/exports/kde.csv?batch={scene['code']}", headers)
                                       .get_data(as_text=True))))
    assert any(TEXTS["long"] in cell for row in rows for cell in row)
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_exports_and_drawings_render(client, scene):
    headers, code = scene["producer"].headers, scene["code"]
    epcis = _get(client, f"/api/v1/exports/epcis?batch={code}", headers).get_json()
    assert BIGGEST in json.dumps(epcis)
    svg = _get(client, f"/api/v1/batches/{code}/trace.svg", headers).data
    ET.fromstring(svg)  # well-formed XML: no character XML forbids
    ET.fromstring(_get(client, f"/api/v1/batches/{code}/qr.svg").data)
    bundle = json.loads(_get(client, f"/api/v1/batches/{code}/audit-bundle", headers).data)
    assert bundle["entries"]
    _get(client, f"/t/{code}/proof")
    assert _get(client, f"/api/v1/batches/{code}/events", headers).get_json()


@pytest.mark.parametrize("text", ["\x01", "\x00", "\u0088", "\x7f", "\r", "\ud800", "a\udfffb"])
def test_characters_outside_the_grammar_are_refused_everywhere_text_comes_in(client, make, text):
    producer = make.actor("producer")
    batch = make.batch(producer)
    for url, body in [
        ("/api/v1/events", event_body("storage", [batch], {"warehouse": f"仓库{text}"})),
        (f"/api/v1/batches/{batch.trace_code}/certificate", {"basis": ["self_test"], "contact": f"王{text}"}),
        ("/api/v1/products", {"category": "vegetables", "name": f"番茄{text}"}),
        (f"/api/v1/organizations/{producer.org.id}/locations", {"kind": "warehouse", "name": f"冷库{text}"}),
    ]:
        raw = json.dumps(body, ensure_ascii=True)  # a lone surrogate travels as a \\u escape
        r = client.post(url, data=raw, content_type="application/json", headers=producer.headers)
        assert_problem(r, 422, "validation")


@pytest.mark.parametrize("where", ["data-key", "top-key", "stage", "batch"])
def test_a_lone_surrogate_anywhere_in_a_body_is_a_422(client, make, session, where):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("storage", [batch], {"warehouse": "冷库"})
    if where == "data-key":
        body["data"]["\ud800"] = 1
    elif where == "top-key":
        body["\udc00x"] = 1
    elif where == "stage":
        body["stage"] = "\ud800"
    else:
        body["batches"] = ["\ud800"]
    r = client.post("/api/v1/events", data=json.dumps(body), content_type="application/json",
                    headers=producer.headers)
    problem = assert_problem(r, 422, "validation")
    assert "surrogate" in problem["detail"] or "代理" in problem["detail"]
