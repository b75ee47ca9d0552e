"""Quality through lineage: a batch's page and API show its sources' results, signed and with their basis."""

from __future__ import annotations

import re
from typing import Any

from tests.services.quality.helpers import LAB_NAME, County
from trace.models import Batch
from trace.services.audit.verification import page_verdict
from trace.services.records.batches import batch_events

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


def verdict(county: County, batch: Batch) -> Any:
    session = county.make.session
    return page_verdict(session, county.make.ledger, batch, batch_events(session, batch))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_split_batch_shows_its_sources_commissioned_result(county, world):
    v = verdict(county, world.a2)
    assert v.verified and v.cleared and v.cautions == ()
    (result,) = v.results
    assert (result.batch, result.depth, result.basis, result.result) == (world.a.trace_code, 1, "commissioned", "pass")
    assert result.lab.id == result.signer.id == county.lab.org.id and result.requester.id == county.producer.org.id
    assert result.sampler is None
    assert [(e.kind, e.by.id, e.batch) for e in v.endorsements] == [("tested", county.lab.org.id, world.a.trace_code)]


def test_a_merged_batch_shows_every_sources_result_and_a_failed_source_leads(county, world):
    v = verdict(county, world.m)
    assert v.verified and not v.cleared
    by_batch = {r.batch: r for r in v.results}
    assert set(by_batch) == {world.a.trace_code, world.b.trace_code, world.c.trace_code}
    assert by_batch[world.a.trace_code].depth == 2 and by_batch[world.b.trace_code].depth == 1
    b = by_batch[world.b.trace_code]
    assert (b.basis, b.lab.id, b.sampler.id, b.asked) == (
        "supervisory", county.lab.org.id, county.inspector.org.id, world.sample["id"])
    c = by_batch[world.c.trace_code]
    assert (c.basis, c.signer.id, c.lab, c.result) == ("self_check", county.producer.org.id, None, "fail")
    assert [(x.kind, x.batch) for x in v.cautions] == [("source_failed", world.c.trace_code)]
    kinds = {(e.kind, e.by.id) for e in v.endorsements}
    assert kinds == {("tested", county.lab.org.id), ("sampled", county.inspector.org.id)}


def test_a_recalled_source_leads_on_every_batch_made_from_it(county, world):
    r = county.post(county.producer, f"/batches/{world.a.trace_code}/recalls", {"reason": "农残超标"})
    assert r.status_code == 201, r.get_data(as_text=True)
    for batch in (world.a2, world.m):
        v = verdict(county, batch)
        assert not v.cleared and v.cautions[0].kind in ("recalled", "source_recalled")
        assert world.a.trace_code in {r.batch for r in v.results}


def test_the_page_and_its_json_show_basis_signer_and_source_results(county, world):
    client = county.client
    body = client.get(f"/t/{world.m.trace_code}", headers=JSON).json
    sources = {r["batch"]: r for r in body["sourceInspections"]}
    assert set(sources) == {world.a.trace_code, world.b.trace_code, world.c.trace_code}
    a = sources[world.a.trace_code]
    assert (a["basis"], a["basisText"], a["lab"], a["signedBy"], a["requestedBy"]) == (
        "commissioned", "委托检测", LAB_NAME, LAB_NAME, county.producer.org.name)
    assert a["date"] and a["href"] == f"/t/{world.a.trace_code}"
    c = sources[world.c.trace_code]
    assert (c["basisText"], c["lab"], c["signedBy"]) == ("自检", None, county.producer.org.name)
    ver = body["verification"]
    assert ver["verified"] is True and ver["cleared"] is False and ver["tone"] == "note"
    assert [x["kind"] for x in ver["cautions"]] == ["source_failed"]
    assert {(e["kind"], e["by"]) for e in ver["endorsements"]} == {("tested", LAB_NAME),
                                                                    ("sampled", "松阳县农业农村局")}
    text = text_of(client.get(f"/t/{world.m.trace_code}", headers=HTML).get_data(as_text=True))
    for expected in ("原料检测", world.a.trace_code, "委托检测", "监督抽检", "自检", f"检测机构：{LAB_NAME}",
                     "抽样单位：松阳县农业农村局", f"原料批次 {world.c.trace_code} 检测不合格",
                     "记录完整，但不代表安全：请看上方警示"):
        assert expected in text, expected
    assert "✓ 已验证" not in text
    en = text_of(client.get(f"/t/{world.m.trace_code}?lang=en", headers=HTML).get_data(as_text=True))
    for expected in ("Source batch results", "Commissioned test", "Supervisory sampling", "Self-check",
                     "Tested by", "Sampled by", f"Source batch {world.c.trace_code} failed a test."):
        assert expected in en, expected
    client.get(f"/t/{world.m.trace_code}?lang=zh", headers=HTML)  # the language is remembered: back to Chinese
    # the leaf's own page: the request names the laboratory in its timeline, the answer is signed by it
    leaf = client.get(f"/t/{world.a.trace_code}", headers=JSON).json
    asked = next(e for e in leaf["timeline"] if e["stage"] == "test_request")
    assert {"label": "检测机构", "value": LAB_NAME} in asked["details"]
    answered = next(e for e in leaf["timeline"] if e["stage"] == "inspection")
    assert answered["organization"] == LAB_NAME and leaf["inspections"][0]["basis"] == "commissioned"
    # the self-check never names the laboratory its producer typed
    c_text = text_of(client.get(f"/t/{world.c.trace_code}", headers=HTML).get_data(as_text=True))
    assert LAB_NAME not in c_text and "自检" in c_text


def test_the_api_batch_view_carries_the_verdict(county, world):
    r = county.client.get(f"/api/v1/batches/{world.a2.trace_code}", headers=county.producer.headers)
    assert r.status_code == 200
    verdict = r.json["verdict"]
    assert verdict["cleared"] is True and verdict["cautions"] == []
    (result,) = verdict["results"]
    assert (result["batch"], result["basis"], result["lab"]["id"], result["answers"]) == (
        world.a.trace_code, "commissioned", county.lab.org.id, world.request["id"])
    assert verdict["endorsements"][0]["kind"] == "tested" and verdict["endorsements"][0]["until"] is None


def test_the_kde_export_carries_each_results_basis_and_signer(county, world):
    import csv
    import io

    r = county.client.get("/api/v1/exports/kde.csv", query_string={"batch": world.m.trace_code},
                          headers=county.inspector.headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True)[1:])))
    basis, signed = rows[0].index("检测依据 Test basis"), rows[0].index("检测签名 Result signed by")
    results = {(row[4], row[basis], row[signed]) for row in rows[1:] if row[basis]}
    assert results == {
        (world.a.trace_code, "委托检测 commissioned", f"{LAB_NAME}（检测机构 laboratory）"),
        (world.b.trace_code, "监督抽检 supervisory", f"{LAB_NAME}（检测机构 laboratory）"),
        (world.c.trace_code, "自检 self-check", f"{county.producer.org.name}（生产者 producer）"),
    }
    assert all(not row[basis] for row in rows[1:] if row[1].startswith("委托检测申请"))
