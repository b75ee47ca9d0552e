"""The 合格证 rests on signed results: 委托检测 needs a laboratory's, a failed source refuses it; the card counts."""

from __future__ import annotations

from tests.api.helpers import assert_problem
from tests.codes.helpers import open_pdf, page_text


def issue(county, batch, basis):
    return county.post(county.producer, f"/batches/{batch.trace_code}/certificate", {"basis": basis})


def card_text(county, response):
    pdf = county.client.get(response.json["pdf"], headers=county.producer.headers)
    assert pdf.status_code == 200
    with open_pdf(pdf.data) as document:
        return "".join(page_text(document[0]).split())


def test_commissioned_test_needs_a_laboratory_signed_result_here_or_upstream(county, world):
    own_only = county.make.batch(county.producer)
    county.ok(county.producer, "inspection", [own_only], {"items": [{"item": "镉", "result": "pass"}],
                                                          "result": "pass", "lab": "松阳县农产品质量安全检测站"})
    assert_problem(issue(county, own_only, ["commissioned_test"]), 422, "validation", "basis")
    r = issue(county, own_only, ["self_test"])
    assert r.status_code == 201, r.get_data(as_text=True)
    assert "检测记录：委托检测0份·自检1份" in card_text(county, r)
    # A2 was split from A, which the laboratory tested on the producer's request
    r = issue(county, world.a2, ["commissioned_test", "quality_control"])
    assert r.status_code == 201, r.get_data(as_text=True)
    assert "检测记录：委托检测1份·自检0份（含原料检测1份）" in card_text(county, r)


def test_a_failed_source_refuses_the_promise(county, world):
    r = issue(county, world.m, ["quality_control"])
    body = assert_problem(r, 409, "conflict")
    assert world.c.trace_code in body["detail"]
