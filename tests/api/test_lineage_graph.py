"""GET /batches/<code>/trace.svg: the lineage drawn for inspectors, one box a batch, one arrow a link."""

from __future__ import annotations

from defusedxml import ElementTree

from tests.api.helpers import assert_problem

SVG = "{http://www.w3.org/2000/svg}"


def graph(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)
    boxes = {g.get("data-code"): g for g in root.iter(f"{SVG}g") if "batch" in (g.get("class") or "").split()}
    arrows = {(g.get("data-from"), g.get("data-to")): "".join(g.itertext())
              for g in root.iter(f"{SVG}g") if g.get("class") == "link"}
    return root, boxes, arrows


def test_the_graph_draws_every_batch_and_link_of_the_trace(client, make, gen):
    a, b = gen.raw("100"), gen.raw("50")
    (m,) = gen.transform([(a, "60"), (b, "50")], ["100"])
    s1, s2 = gen.transform([(m, "100")], ["70", "30"])
    inspector = make.actor("inspector")
    _, boxes, arrows = graph(client.get(f"/api/v1/batches/{m.trace_code}/trace.svg", headers=inspector.headers))
    assert {code: box.get("data-relation") for code, box in boxes.items()} == {
        m.trace_code: "root", a.trace_code: "upstream", b.trace_code: "upstream",
        s1.trace_code: "downstream", s2.trace_code: "downstream"}
    assert arrows == {(a.trace_code, m.trace_code): "60 KGM", (b.trace_code, m.trace_code): "50 KGM",
                      (m.trace_code, s1.trace_code): "70 KGM", (m.trace_code, s2.trace_code): "30 KGM"}
    # Sources stand left of the batch, what was made from it right of it.
    x = {code: float(box.find(f"{SVG}rect").get("x")) for code, box in boxes.items()}
    assert x[a.trace_code] == x[b.trace_code] < x[m.trace_code] < x[s1.trace_code] == x[s2.trace_code]
    backward = graph(client.get(f"/api/v1/batches/{m.trace_code}/trace.svg?direction=backward",
                                headers=inspector.headers))[1]
    assert set(backward) == {m.trace_code, a.trace_code, b.trace_code}


def test_recalled_batches_are_marked_and_english_is_available(client, make, gen):
    a = gen.raw("100")
    (m,) = gen.transform([(a, "100")], ["90"])
    inspector = make.actor("inspector")
    r = client.post(f"/api/v1/batches/{a.trace_code}/recalls", json={"reason": "农残超标"}, headers=inspector.headers)
    assert r.status_code == 201, r.json
    root, boxes, _ = graph(client.get(f"/api/v1/batches/{m.trace_code}/trace.svg?lang=en", headers=inspector.headers))
    recalled = {code for code, box in boxes.items() if "recalled" in box.get("class").split()}
    assert recalled == {a.trace_code, m.trace_code}
    assert "recalled" in "".join(boxes[a.trace_code].itertext())
    assert root.find(f"{SVG}title").text.startswith("Lineage")
    zh = graph(client.get(f"/api/v1/batches/{m.trace_code}/trace.svg", headers=inspector.headers))[1]
    assert "已召回" in "".join(zh[a.trace_code].itertext())


def test_the_graph_keeps_the_trace_rules(client, make, gen):
    batch = gen.raw()
    url = f"/api/v1/batches/{batch.trace_code}/trace.svg"
    assert_problem(client.get(url), 401, "unauthenticated")
    assert_problem(client.get(url, headers=make.actor("producer").headers), 403, "forbidden")
    assert_problem(client.get(url + "?lang=fr", headers=make.actor("inspector").headers), 422, "validation", "lang")
    own = graph(client.get(url, headers=gen.producer.headers))[1]
    assert set(own) == {batch.trace_code}
