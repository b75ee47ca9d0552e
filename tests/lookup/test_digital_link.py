"""GS1 Digital Link resolution: pages, linkType redirects, RFC 9264 linksets, Link headers, 400 and 404."""

from __future__ import annotations

import re

import pytest

from tests.lookup.helpers import HTML, JSON, new_life
from trace.codes.digital_link import digital_link_url
from trace.services.printing.labels import issue_labels, unit_scans

LINKSET = {"Accept": "application/linkset+json"}
BASE = "https://trace.example.cn"
GS1 = "https://gs1.org/voc/"


def dl(life, serial=None, base=""):
    return digital_link_url(base or "http://x", life.product.gtin, life.batch.lot, serial).removeprefix("http://x")


def test_a_digital_link_shows_the_batch_page_with_a_link_header(client, life):
    path = dl(life)
    r = client.get(path, headers=HTML)
    assert r.status_code == 200 and life.batch.trace_code in r.get_data(as_text=True)
    header = r.headers["Link"]
    assert header.startswith(f'<{BASE}{path}?linkType=linkset>; rel="linkset"; type="application/linkset+json"')
    for rel, fragment in (("defaultLink", ""), ("pip", "#product"), ("traceability", "#timeline"),
                          ("certificationInfo", "#certifications"), ("recallStatus", "#recall")):
        assert f'<{BASE}/T/{life.batch.trace_code}{fragment}>; rel="{GS1}{rel}"; type="text/html"' in header
    r = client.get(path, headers=JSON)
    assert r.status_code == 200 and r.json["code"] == life.batch.trace_code and "Link" in r.headers
    assert {link["rel"] for link in r.json["links"]} >= {GS1 + "pip", GS1 + "traceability"}


@pytest.mark.parametrize(("link_type", "target"), [
    ("gs1:pip", "#product"), ("gs1:traceability", "#timeline"), ("gs1:certificationInfo", "#certifications"),
    ("https://gs1.org/voc/recallStatus", "#recall"), ("verificationService", "#verification"),
    ("gs1:review", "#feedback"), ("gs1:defaultLink", ""), ("gs1:nutritionalInfo", ""), ("bogus", ""),
])
def test_link_types_redirect_to_their_part_of_the_page(client, life, link_type, target):
    r = client.get(dl(life) + f"?linkType={link_type}", headers=HTML)
    assert r.status_code == 307
    assert r.headers["Location"] == f"/T/{life.batch.trace_code}{target}"
    assert "Link" in r.headers
    r = client.get(dl(life) + f"?linkType={link_type}&lang=en")
    assert r.headers["Location"] == f"/T/{life.batch.trace_code}?lang=en{target}"


@pytest.mark.parametrize("ask", [{"headers": LINKSET}, {"query": "?linkType=linkset"}, {"query": "?linkType=all"}])
def test_the_linkset_is_rfc_9264_json(client, life, ask):
    r = client.get(dl(life) + ask.get("query", ""), headers=ask.get("headers", HTML))
    assert r.status_code == 200 and r.mimetype == "application/linkset+json"
    (context,) = r.json["linkset"]
    assert context["anchor"] == BASE + dl(life)
    assert context[GS1 + "pip"] == [{"href": f"{BASE}/T/{life.batch.trace_code}#product", "title": "产品信息",
                                     "type": "text/html", "hreflang": ["zh", "en"]}]
    assert context[GS1 + "defaultLink"][0]["href"] == f"{BASE}/T/{life.batch.trace_code}"
    for rel, targets in context.items():
        if rel != "anchor":
            assert rel.startswith(GS1) and all(t["href"].startswith(BASE + "/T/") for t in targets)
    assert "Link" in r.headers


def test_a_unit_digital_link_counts_the_unit(client, life, session, app):
    _, (unit, other) = issue_labels(session, life.producer.user, life.batch, 2)
    session.commit()
    r = client.get(dl(life, unit.serial), headers=JSON)
    assert r.status_code == 200 and r.json["unit"]["serial"] == unit.serial and r.json["unit"]["scanCount"] == 1
    assert BASE + dl(life, unit.serial) + "?linkType=linkset" in r.headers["Link"]
    r = client.get(dl(life, unit.serial) + "?linkType=gs1:pip")
    assert r.headers["Location"] == f"/T/{unit.serial}#product"
    linkset = client.get(dl(life, unit.serial), headers=LINKSET).json
    assert linkset["linkset"][0]["anchor"] == BASE + dl(life, unit.serial)
    app.extensions["trace.lookup_counter"].flush(session)
    counts = unit_scans(session, [unit.serial, other.serial])
    assert {s: n for s, (n, _, _) in counts.items()} == {unit.serial: 1}  # redirects and linksets do not count


def test_a_lot_with_an_encoded_slash_resolves(client, make, session, ledger):
    life = new_life(make, session, ledger, lot="A/7")
    path = dl(life)
    assert "/10/A%2F7" in path
    r = client.get(path, headers=JSON)
    assert r.status_code == 200 and r.json["batch"]["lot"] == "A/7"


def test_malformed_paths_and_bad_check_digits_are_400(client, life):
    gtin = life.product.gtin
    bad_digit = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    for path, words in ((f"/01/{bad_digit}/10/{life.batch.lot}", "校验位"),
                        (f"/01/{gtin[1:]}/10/{life.batch.lot}", "格式有误"),
                        (f"/01/{gtin}/21/{life.batch.lot}", "格式有误"),
                        (f"/01/{gtin}/10/{life.batch.lot}/22/X", "格式有误"),
                        (f"/01/{gtin}/10/A%2", "格式有误"),
                        (f"/01/{gtin}/10/{'L' * 21}", "格式有误")):
        r = client.get(path, headers=HTML)
        assert r.status_code == 400, path
        assert words in r.get_data(as_text=True), path
        r = client.get(path, headers=JSON)
        assert r.status_code == 400 and r.mimetype == "application/problem+json", path
        assert r.json["type"].startswith("https://suyuan.dev/problems/") and r.json["instance"]


def test_unknown_gtin_lot_or_serial_is_404(client, life, session, make, ledger):
    other = new_life(make, session, ledger)
    _, (foreign,) = issue_labels(session, other.producer.user, other.batch, 1)
    session.commit()
    unknown_gtin = digital_link_url("http://x", "09506000134352", life.batch.lot).removeprefix("http://x")
    for path in (unknown_gtin, dl(life).replace(f"/10/{life.batch.lot}", "/10/NOPE"),
                 dl(life, "0000000000000"), dl(life, foreign.serial), f"/01/{life.product.gtin}"):
        r = client.get(path, headers=HTML)
        assert r.status_code == 404, path
        assert re.search(r"没有|只标识商品", r.get_data(as_text=True)), path
        assert client.get(path, headers=JSON).mimetype == "application/problem+json"
