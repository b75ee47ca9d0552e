"""Languages of the public pages: the viewer's choice, remembered; and no Chinese left on any English page.

The English pages are those of a batch whose every data value is ASCII (``ascii_life``), so any
Chinese character on them is a string the catalogs miss. Only what names itself in Chinese, in an
element marked ``lang="zh-CN"`` (the language switch, the term 合格证), is left out of the check.
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

import trace.lookup.views as views
from tests.lookup.helpers import HTML, JSON, ascii_life, ascii_org, text_of
from trace.codes.digital_link import digital_link_url
from trace.codes.tracecode import new_trace_code
from trace.schemas.batches import BatchIn
from trace.services.lineage.recalls import close_recall, open_recall
from trace.services.printing.labels import issue_labels
from trace.services.records.batches import register_batch

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")  # ideographs, CJK and full-width marks
MARKED_CHINESE = re.compile(r'<(\w+)\b[^>]*\blang="zh[^"]*"[^>]*>.*?</\1>', re.S)
ENGLISH = {"Accept-Language": "en"}


def chinese_in(html: str) -> list[str]:
    """Return the Chinese on a page, each with some text around it (marked Chinese left out)."""
    text = text_of(MARKED_CHINESE.sub(" ", html))
    return [text[max(0, m.start() - 30):m.end() + 30] for m in CJK.finditer(text)]


def english(client, path, status=200, method="GET", **kw):
    """Return an English page (asked for with ?lang=en, the cookie or Accept-Language), checked for Chinese."""
    r = client.open(path, method=method, headers={**HTML, **ENGLISH, **kw.pop("headers", {})}, **kw)
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:300])
    html = r.get_data(as_text=True)
    assert r.mimetype == "text/html" and '<html lang="en">' in html, path
    assert chinese_in(html) == [], (path, chinese_in(html))
    return r, html


@pytest.fixture()
def ascii(make, session, ledger):
    return ascii_life(make, session, ledger)


# --- the viewer's choice -----------------------------------------------------------------------------

def test_lang_beats_the_cookie_which_beats_accept_language(client, ascii):
    path = f"/T/{ascii.batch.trace_code}"

    def lang(**headers):
        return client.get(path, headers={**JSON, **headers}).json["lang"]

    assert lang() == "zh" and lang(**{"Accept-Language": "en-GB,en;q=0.9"}) == "en"
    r = client.get(path + "?lang=en", headers={**JSON, "Accept-Language": "zh-CN"})
    assert r.json["lang"] == "en"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert "HttpOnly" in cookie and "Path=/" in cookie
    assert lang(**{"Accept-Language": "zh-CN"}) == "en"  # the cookie beats Accept-Language
    assert "Set-Cookie" not in client.get(path, headers=JSON).headers  # nothing new to remember
    r = client.get(path + "?lang=zh", headers={**JSON, "Accept-Language": "en"})
    assert r.json["lang"] == "zh" and r.headers["Set-Cookie"].startswith("lang=zh;")  # ?lang= beats the cookie
    assert lang(**{"Accept-Language": "en"}) == "zh"
    client.set_cookie("lang", "fr")  # a cookie naming no page language is passed over
    assert lang(**{"Accept-Language": "en"}) == "en" and lang() == "zh"
    r = client.get(path + "?lang=klingon", headers={**JSON, "Accept-Language": "en"})
    assert r.json["lang"] == "en" and "Set-Cookie" not in r.headers
    assert "Set-Cookie" not in client.get("/api/v1/log/checkpoint?lang=en").headers  # the API remembers nothing


def test_pages_vary_by_cookie_and_accept_language_and_cached_html_follows_the_language(client, ascii):
    path = f"/T/{ascii.batch.trace_code}"
    r = client.get(path, headers=HTML)
    assert r.headers["Vary"] == "Accept, Accept-Language, Cookie"
    zh = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and 'href="?lang=en" hreflang="en" lang="en">English<' in zh
    assert "生产流通记录" in zh
    client.set_cookie("lang", "en")
    en = client.get(path, headers=HTML).get_data(as_text=True)  # the same batch and log state: a cached page
    assert '<html lang="en">' in en and 'href="?lang=zh" hreflang="zh" lang="zh">中文<' in en
    assert "Timeline" in en and "生产流通记录" not in en
    for missing in ("/nowhere", f"/T/{ascii.batch.trace_code[:-1]}"):
        assert client.get(missing, headers=HTML).headers["Vary"] == "Accept, Accept-Language, Cookie"


# --- no Chinese left on an English page -------------------------------------------------------------

def test_the_batch_page_in_english(client, ascii):
    _, html = english(client, f"/T/{ascii.batch.trace_code}?lang=en")
    text = text_of(html)
    for expected in ("Highland tomatoes", "Vegetables", "Green Valley Co-op", "Fail", "Self-check", "Organic",
                     "Certificate no.: OG-1", "Compliance certificates", "Timeline", "Planting", "Variety: Zhefen 702",
                     "1 readings outside the required range", "required 0 to 10 °C",
                     "✓ Records verified (not a safety claim)",
                     "Feedback", "Recipient: Town Market", "Channel: Market", "2500 kilogram"):
        assert expected in text, expected
    zh = client.get(f"/T/{ascii.batch.trace_code}?lang=zh", headers=HTML).get_data(as_text=True)
    assert "不合格" in zh and "证书编号：OG-1" in zh and "合格证编号：HGZ-2026-0088" in zh


def test_recalled_empty_and_unit_pages_in_english(client, ascii, make, session, ledger, app, monkeypatch):
    inspector = make.actor("inspector", ascii_org(make, "inspection_agency", "Songyang Inspection Station"))
    recall = open_recall(session, inspector.user, ascii.batch, "Imidacloprid over the limit", ledger=ledger)
    session.commit()
    english(client, f"/T/{ascii.batch.trace_code}?lang=en")
    close_recall(session, inspector.user, recall.id, "all withdrawn", ledger=ledger)
    session.commit()
    _, html = english(client, f"/T/{ascii.batch.trace_code}?lang=en")
    assert "This batch has been recalled" in html and "the product stays off sale" in html
    monkeypatch.setitem(app.config, "TRACE", app.config["TRACE"].with_(counterfeit_threshold=1))
    _, (unit,) = issue_labels(session, ascii.producer.user, ascii.batch, 1)
    session.commit()
    client.get(f"/T/{unit.serial}", headers=JSON)
    _, html = english(client, f"/T/{unit.serial}?lang=en")
    text = text_of(html)
    assert "Caution: this code has been looked up 2 times" in text and "Unit serial" in text


def test_a_batch_without_records_in_english(client, session, ledger, ascii):
    empty = register_batch(session, ascii.producer.user, BatchIn().load({
        "product": ascii.product.id, "lot": "EMPTY-1", "quantity": "1", "uom": "KGM"}), ledger=ledger)
    session.commit()
    _, html = english(client, f"/T/{empty.trace_code}?lang=en")
    text = text_of(html)
    for expected in ("No records yet", "No inspection recorded", "No temperature readings",
                     "No compliance certificate issued yet"):
        assert expected in text, expected


def test_feedback_pages_in_english(client, ascii):
    code = ascii.batch.trace_code
    _, html = english(client, f"/T/{code}/feedback?lang=en")
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    english(client, f"/T/{code}/feedback?sent=1&lang=en")
    _, html = english(client, f"/T/{code}/feedback?lang=en", 422, "POST",
                      data={"token": token, "kind": "rating", "rating": "9"})
    assert "Please check the form." in html and "Choose 1 to 5 stars" in html
    _, html = english(client, f"/T/{code}/feedback?lang=en", 422, "POST",
                      data={"token": token, "kind": "complaint", "text": " "})
    assert "Say what is wrong" in html
    _, html = english(client, f"/T/{code}/feedback?lang=en", 400, "POST", data={"token": "forged", "rating": "5"})
    assert "The form has expired" in html
    english(client, f"/T/{code}/feedback?lang=en", 403, "POST", data={"token": token, "rating": "5"},
            headers={"Origin": "https://elsewhere.example"})


def test_search_typo_unknown_and_link_errors_in_english(client, ascii, session):
    code, gtin, lot = ascii.batch.trace_code, ascii.product.gtin, ascii.batch.lot
    english(client, "/T?lang=en")
    wrong = "0" if code[5] != "0" else "1"
    for path, status, words in (
            (f"/T/{code[:-2]}", 400, "you entered 11"), (f"/T/{code[:-1]}_", 400, "never contains"),
            (f"/T/{code[:5]}{wrong}{code[6:]}", 400, "check character"),
            (f"/T/{new_trace_code()}", 404, "Code not found"),
            (f"/01/{gtin[:-1]}{(int(gtin[-1]) + 1) % 10}/10/{lot}", 400, "check digit"),
            (f"/01/{gtin}/21/{lot}", 400, "malformed"),
            (f"/01/{gtin}", 404, "names a product only"),
            (digital_link_url("http://x", gtin, "NOPE").removeprefix("http://x"), 404, "No batch has GTIN"),
            (digital_link_url("http://x", gtin, lot, "0000000000000").removeprefix("http://x"), 404, "no unit serial")):
        r, html = english(client, path + "?lang=en", status)
        assert words in html, path


def test_app_error_pages_in_english(client, ascii, app, monkeypatch):
    _, html = english(client, "/nowhere", 404)
    assert "Not found" in html
    english(client, f"/T/{ascii.batch.trace_code}/proof", 405, "POST")
    zh = client.get("/nowhere", headers=HTML).get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "未找到" in zh and "溯源" in zh
    monkeypatch.setitem(app.config, "TRACE", app.config["TRACE"].with_(public_rate_limit="1/minute"))
    client.get(f"/T/{ascii.batch.trace_code}", headers=JSON)
    _, html = english(client, f"/T/{ascii.batch.trace_code}", 429)
    assert "Too many requests" in html


def test_an_unexpected_error_page_in_english(client, ascii, app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.svc, "log_state", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    _, html = english(client, f"/T/{ascii.batch.trace_code}", 500)
    assert "Something went wrong" in html


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        pages = [document[i].get_textpage() for i in range(len(document))]
        return "\n".join(p.get_text_range() for p in pages)
    finally:
        document.close()


def test_label_captions_follow_the_language(client, ascii):
    path = f"/api/v1/batches/{ascii.batch.trace_code}/labels.pdf"
    headers = ascii.producer.headers
    zh = client.get(path, headers=headers, query_string={"layout": "a4-2x7", "count": 1})
    assert zh.status_code == 200 and zh.headers["Vary"] == "Accept-Language, Cookie"
    text = _pdf_text(zh.data)
    assert "追溯码" in text and "批号" in text and "采收日期" in text and "扫码溯源" in text
    for ask in ({"query_string": {"layout": "a4-2x7", "count": 1, "lang": "en"}, "headers": headers},
                {"query_string": {"layout": "a4-2x7", "count": 1}, "headers": {**headers, **ENGLISH}}):
        en = client.get(path, **ask)
        assert en.status_code == 200 and en.headers["ETag"] != zh.headers["ETag"]
        text = _pdf_text(en.data)
        assert "Trace code" in text and "Lot" in text and "Harvested" in text and "Scan to trace" in text
        assert not CJK.search(text), text
    run = client.post(f"/api/v1/batches/{ascii.batch.trace_code}/labels", headers=headers, json={"count": 1})
    assert run.status_code == 201, run.get_data(as_text=True)
    en = client.get(path, headers=headers, query_string={"layout": "a4-2x7", "run": run.json["id"], "lang": "en"})
    text = _pdf_text(en.data)
    assert "Serial no." in text and not CJK.search(text), text
