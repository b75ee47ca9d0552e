"""GET /batches/<code>/trace and the recall endpoints."""

from __future__ import annotations

import csv
import io

from tests.api.helpers import assert_problem, row_counts
from tests.factories import event_body
from tests.services.genealogy import day


def test_inspectors_trace_both_ways(client, make, gen):
    a, b = gen.raw("100"), gen.raw("50")
    (m,) = gen.transform([(a, "60"), (b, "50")], ["100"])
    (f,) = gen.transform([(m, "100")], ["90"])
    inspector = make.actor("inspector")
    r = client.get(f"/api/v1/batches/{m.trace_code}/trace", headers=inspector.headers)
    assert r.status_code == 200, r.json
    assert r.json["root"] == m.trace_code and r.json["direction"] == "both"
    assert {x["code"]: x["relation"] for x in r.json["batches"]} == {
        m.trace_code: "root", a.trace_code: "upstream", b.trace_code: "upstream", f.trace_code: "downstream"}
    assert sorted((x["from"], x["to"], x["quantity"], x["uom"]) for x in r.json["links"]) == sorted([
        (a.trace_code, m.trace_code, "60", "KGM"), (b.trace_code, m.trace_code, "50", "KGM"),
        (m.trace_code, f.trace_code, "100", "KGM")])
    assert all(set(x) == {"from", "to", "event", "quantity", "uom"} for x in r.json["links"])
    back = client.get(f"/api/v1/batches/{f.trace_code}/trace?direction=backward", headers=inspector.headers)
    assert {x["code"] for x in back.json["batches"]} == {f.trace_code, m.trace_code, a.trace_code, b.trace_code}
    assert back.json["organizations"][0]["id"] == gen.producer.org.id


def test_trace_refuses_bad_requests(client, make, gen):
    batch = gen.raw()
    inspector = make.actor("inspector")
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}/trace?direction=sideways",
                              headers=inspector.headers), 422, "validation", "direction")
    assert_problem(client.get("/api/v1/batches/NOTACODE/trace", headers=inspector.headers), 404, "not-found")
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}/trace"), 401, "unauthenticated")
    assert_problem(client.get(f"/api/v1/batches/{batch.trace_code}/trace", headers=make.actor("producer").headers),
                   403, "forbidden")


def test_producers_see_only_batches_they_may_read(client, make, gen):
    mill = make.actor("producer", make.org("processor"))
    source = gen.raw("100")
    (mixed,) = gen.transform([(source, "100")], ["100"])
    gen.ship(mixed, mill, at=day(110))
    (oil,) = gen.transform([(mixed, "100")], ["40"], actor=mill, product=make.product(mill, "grain_oil"),
                           at=day(111))
    gen.ship(oil, make.actor("producer", make.org("retailer")), at=day(112), actor=mill)
    r = client.get(f"/api/v1/batches/{source.trace_code}/trace?direction=forward", headers=gen.producer.headers)
    assert r.status_code == 200, r.json
    assert {x["code"] for x in r.json["batches"]} == {source.trace_code, mixed.trace_code}
    assert r.json["hidden"] == 1
    assert [(x["from"], x["to"]) for x in r.json["links"]] == [(source.trace_code, mixed.trace_code)]
    # It shipped the mixed batch to the mill, so it may know the mill received it; not the mill's customers.
    assert {o["id"] for o in r.json["organizations"]} == {gen.producer.org.id, mill.org.id}
    full = client.get(f"/api/v1/batches/{source.trace_code}/trace?direction=forward",
                      headers=make.actor("admin").headers)
    assert len(full.json["batches"]) == 3 and "hidden" not in full.json
    assert len(full.json["organizations"]) == 3


def test_recall_endpoints_open_list_export_and_close(client, make, gen, session):
    retailer = make.actor("producer", make.org("retailer", name="农家乐超市"))
    source = gen.raw("100")
    (made,) = gen.transform([(source, "60")], ["55"])
    gen.ship(made, retailer, quantity="55", at=day(120))
    inspector = make.actor("inspector")
    r = client.post(f"/api/v1/batches/{source.trace_code}/recalls", json={"reason": "铅超标 lead above limit"},
                    headers=inspector.headers)
    assert r.status_code == 201, r.json
    recall_id = r.json["id"]
    assert r.headers["Location"] == f"/api/v1/recalls/{recall_id}"
    assert [(x["code"], x["depth"], x["status"]) for x in r.json["affected"]] == [
        (source.trace_code, 0, "recalled"), (made.trace_code, 1, "recalled")]
    detail = client.get(f"/api/v1/recalls/{recall_id}", headers=gen.producer.headers)
    assert detail.status_code == 200
    shop = next(h for h in detail.json["holders"] if h["organization"]["id"] == retailer.org.id)
    assert shop["organization"]["contactName"] == "王五"
    assert shop["batches"][0]["relations"] == ["custodian", "received", "recipient"]
    assert client.get(f"/api/v1/recalls/{recall_id}", headers=make.actor("producer").headers).status_code == 403
    assert [x["id"] for x in client.get("/api/v1/recalls?status=open", headers=retailer.headers).json["items"]] == [
        recall_id]

    notice = client.get(f"/api/v1/recalls/{recall_id}/notice.csv", headers=inspector.headers)
    assert notice.status_code == 200 and notice.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(notice.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1] == "追溯码 Trace code"
    holders = {row[6] for row in rows[1:]}
    assert "农家乐超市" in holders and gen.producer.org.name in holders  # the producer still holds 40 of the source

    # A recall an inspector opened is closed by inspectors, not by the producer.
    assert_problem(client.post(f"/api/v1/recalls/{recall_id}/close", json={"note": "x"},
                               headers=gen.producer.headers), 403, "forbidden")
    closed = client.post(f"/api/v1/recalls/{recall_id}/close", json={"note": "已销毁 destroyed"},
                         headers=make.actor("inspector").headers)
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed" and all(x["closeEvent"] for x in closed.json["affected"])
    assert_problem(client.post(f"/api/v1/recalls/{recall_id}/close", json={"note": "x"}, headers=inspector.headers),
                   409, "conflict")
    assert_problem(client.post(f"/api/v1/batches/{source.trace_code}/recalls", json={},
                               headers=inspector.headers), 422, "validation", "reason")


def test_recall_records_naming_a_recall_only_come_from_the_recall_service(client, make, gen, session):
    batch = gen.raw()
    inspector = make.actor("inspector")
    before = row_counts(session)
    body = event_body("recall", [batch], {"reason": "x", "recallId": 1, "action": "open"})
    assert_problem(client.post("/api/v1/events", json=body, headers=inspector.headers), 422, "validation", "data")
    close = event_body("recall", [batch], {"action": "close", "recallId": 1})
    assert_problem(client.post("/api/v1/events", json=close, headers=inspector.headers), 422, "validation", "data")
    assert row_counts(session) == before
