"""Processing, splits and merges through POST /api/v1/transformations: quantities are conserved."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.api.helpers import assert_problem, row_counts
from tests.factories import event_body, transformation
from trace.models import Batch, BatchLink

CBV = "https://ref.gs1.org/cbv/BizStep-"


def post(client, actor, body):
    return client.post("/api/v1/transformations", json=body, headers=actor.headers)


def batch_state(client, actor, code):
    body = client.get(f"/api/v1/batches/{code}", headers=actor.headers).json
    return body["quantity"], body["available"], body["status"]


def links(session, event_id):
    rows = session.execute(
        sa.select(BatchLink.input_batch_id, BatchLink.output_batch_id, BatchLink.quantity, BatchLink.uom)
        .where(BatchLink.event_id == event_id)
    )
    return {(i, o): (f"{q.normalize():f}", u) for i, o, q, u in rows}


def test_sorting_split_consumes_the_input_and_creates_new_batches(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="100")
    body = transformation("sorting", [(source, "100")], [(product, "G1", "60"), (product, "G2", "40")],
                          data={"grades": [{"grade": "一级", "quantity": "60", "uom": "KGM"},
                                           {"grade": "二级", "quantity": "40", "uom": "KGM"}]})
    r = post(client, producer, body)
    assert r.status_code == 201, r.json
    assert (r.json["stage"], r.json["bizStep"], r.json["batches"]) == ("sorting", "trace:sorting", [])
    assert r.json["inputs"] == [{"batch": source.trace_code, "quantity": "100", "uom": "KGM"}]
    outputs = r.json["outputs"]
    assert [o["quantity"] for o in outputs] == ["60", "40"]
    codes = [o["batch"] for o in outputs]
    assert source.trace_code not in codes and len(set(codes)) == 2
    assert batch_state(client, producer, source.trace_code) == ("100", "0", "consumed")
    for code, qty in zip(codes, ("60", "40"), strict=True):
        assert batch_state(client, producer, code) == (qty, qty, "active")
    session.expire_all()
    ids = {b.trace_code: b.id for b in session.scalars(sa.select(Batch).where(Batch.trace_code.in_(codes)))}
    # The input's 100 kg went 60 to one grade and 40 to the other: link quantities add up to it.
    assert links(session, body["id"]) == {(source.id, ids[codes[0]]): ("60", "KGM"),
                                          (source.id, ids[codes[1]]): ("40", "KGM")}


def test_processing_merge_consumes_part_of_one_input_and_all_of_another(client, make, session):
    producer = make.actor("producer")
    leaf = make.product(producer, "tea", name="鲜叶")
    tea = make.product(producer, "tea", name="绿茶")
    a = make.batch(producer, leaf, quantity="80")
    b = make.batch(producer, leaf, quantity="30.5")
    body = transformation("processing", [(a, "50.25"), (b, "30.5")], [(tea, "T1", "20")],
                          data={"method": "杀青、揉捻、烘干"})
    r = post(client, producer, body)
    assert r.status_code == 201, r.json
    assert r.json["bizStep"] == CBV + "commissioning"
    assert [(i["batch"], i["quantity"]) for i in r.json["inputs"]] == [(a.trace_code, "50.25"), (b.trace_code, "30.5")]
    (out,) = r.json["outputs"]
    assert batch_state(client, producer, a.trace_code) == ("80", "29.75", "active")
    assert batch_state(client, producer, b.trace_code) == ("30.5", "0", "consumed")
    assert batch_state(client, producer, out["batch"]) == ("20", "20", "active")
    out_id = session.scalar(sa.select(Batch.id).where(Batch.trace_code == out["batch"]))
    assert links(session, body["id"]) == {(a.id, out_id): ("50.25", "KGM"), (b.id, out_id): ("30.5", "KGM")}
    # The output's detail and both inputs' event lists show the one event.
    for code in (a.trace_code, b.trace_code, out["batch"]):
        events = client.get(f"/api/v1/batches/{code}/events", headers=producer.headers).json["items"]
        assert [e["id"] for e in events if e["stage"] != "registration"] == [body["id"]]


def test_available_drops_exactly_over_successive_transformations(client, make):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="1")
    for i, qty in enumerate(["0.1", "0.2", "0.000001"]):
        assert post(client, producer, transformation("sorting", [(source, qty)], [(product, f"P{i}", qty)])) \
            .status_code == 201
    assert batch_state(client, producer, source.trace_code) == ("1", "0.699999", "active")
    assert post(client, producer, transformation("sorting", [(source, "0.699999")], [(product, "LAST", "0.699999")])) \
        .status_code == 201
    assert batch_state(client, producer, source.trace_code) == ("1", "0", "consumed")


def test_consuming_more_than_is_available_is_refused_and_changes_nothing(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="100")
    first = post(client, producer, transformation("sorting", [(source, "70")], [(product, "A", "70")]))
    assert first.status_code == 201
    before = row_counts(session)
    r = post(client, producer, transformation("sorting", [(source, "30.000001")], [(product, "B", "30")]))
    body = assert_problem(r, 422, "insufficient-quantity", "inputs")
    assert "quantity" in body["errors"]["inputs"]["0"]
    assert row_counts(session) == before
    assert batch_state(client, producer, source.trace_code) == ("100", "30", "active")


def test_a_consumed_batch_cannot_be_consumed_again(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="5")
    assert post(client, producer, transformation("sorting", [(source, "5")], [(product, "A", "5")])).status_code == 201
    before = row_counts(session)
    assert_problem(post(client, producer, transformation("sorting", [(source, "1")], [(product, "B", "1")])),
                   422, "insufficient-quantity", "inputs")
    assert row_counts(session) == before


def test_input_unit_must_match_the_batch(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="5")
    body = transformation("sorting", [(source, "1")], [(product, "A", "1")])
    body["inputs"][0]["uom"] = "TNE"
    before = row_counts(session)
    r = assert_problem(post(client, producer, body), 422, "insufficient-quantity", "inputs")
    assert "uom" in r["errors"]["inputs"]["0"]
    assert row_counts(session) == before


def test_recalled_input_cannot_be_processed(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="5")
    recall = client.post("/api/v1/events", json=event_body("recall", [source], {"reason": "抽检不合格"}),
                         headers=producer.headers)
    assert recall.status_code == 201
    before = row_counts(session)
    r = assert_problem(post(client, producer, transformation("sorting", [(source, "1")], [(product, "A", "1")])),
                       422, "insufficient-quantity", "inputs")
    assert "batch" in r["errors"]["inputs"]["0"]
    assert row_counts(session) == before


def test_retry_is_idempotent_and_does_not_consume_twice(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="10")
    body = transformation("sorting", [(source, "4")], [(product, "A", "4")])
    first = post(client, producer, body)
    assert first.status_code == 201
    before = row_counts(session)
    again = post(client, producer, body)
    assert again.status_code == 200
    assert again.json == first.json
    assert row_counts(session) == before
    assert batch_state(client, producer, source.trace_code) == ("10", "6", "active")
    changed = {**body, "inputs": [{**body["inputs"][0], "quantity": "5"}]}
    assert_problem(post(client, producer, changed), 409, "conflict", "id")
    assert row_counts(session) == before
    assert batch_state(client, producer, source.trace_code) == ("10", "6", "active")


def test_an_event_id_from_events_cannot_be_reused_for_a_transformation(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="10")
    event = event_body("storage", [source], {"warehouse": "一号库"})
    assert client.post("/api/v1/events", json=event, headers=producer.headers).status_code == 201
    before = row_counts(session)
    body = transformation("sorting", [(source, "4")], [(product, "A", "4")], id=event["id"])
    assert_problem(post(client, producer, body), 409, "conflict", "id")
    assert row_counts(session) == before


def test_outputs_are_always_new_batches(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="10", lot="SRC")
    before = row_counts(session)
    # An output cannot name an existing batch, so no link can close a cycle...
    named = transformation("sorting", [(source, "1")], [(product, "X", "1")])
    named["outputs"][0]["batch"] = source.trace_code
    assert_problem(post(client, producer, named), 422, "validation", "outputs")
    # ...nor re-create one through its product and lot.
    assert_problem(post(client, producer, transformation("sorting", [(source, "1")], [(product, "SRC", "1")])),
                   409, "conflict", "lot")
    assert row_counts(session) == before
    assert batch_state(client, producer, source.trace_code) == ("10", "10", "active")


def test_output_must_be_a_product_of_the_actors_organization(client, make, session):
    producer = make.actor("producer")
    other = make.actor("producer")
    source = make.batch(producer, make.product(producer), quantity="10")
    theirs, mine = make.product(other), make.product(producer)
    before = row_counts(session)
    foreign = transformation("sorting", [(source, "1")], [(theirs, "A", "1")])
    assert_problem(post(client, producer, foreign), 403, "forbidden")
    body = transformation("sorting", [(source, "1")], [(mine, "A", "1")])
    body["outputs"][0]["product"] = 999999
    assert_problem(post(client, producer, body), 422, "validation", "outputs")
    assert row_counts(session) == before


def test_a_processor_transforms_what_was_shipped_to_it(client, make, session):
    grower = make.actor("producer")
    mill = make.actor("producer", make.org("processor"))
    seed = make.batch(grower, make.product(grower, "grain_oil", name="油菜籽"), quantity="5000")
    oil = make.product(mill, "grain_oil", name="菜籽油")
    body = transformation("processing", [(seed, "5000")], [(oil, "OIL-1", "1800")])
    assert_problem(post(client, mill, body), 403, "forbidden")
    shipped = client.post("/api/v1/events", json=event_body("shipping", [seed], {"recipient": mill.org.id}),
                          headers=grower.headers)
    assert shipped.status_code == 201
    r = post(client, mill, body)
    assert r.status_code == 201, r.json
    assert r.json["organization"] == mill.org.id
    assert batch_state(client, mill, seed.trace_code) == ("5000", "0", "consumed")


@pytest.mark.parametrize(
    ("category", "stage", "field"),
    [("vegetables", "processing", "stage"), ("tea", "sorting", "stage"), ("vegetables", "harvest", "stage"),
     ("vegetables", "recall", "stage")],
    ids=["processing-not-in-vegetables", "sorting-not-in-tea", "harvest-is-no-transformation",
         "recall-is-no-transformation"],
)
def test_stage_must_be_a_transformation_of_the_category(client, make, session, category, stage, field):
    producer = make.actor("producer")
    product = make.product(producer, category)
    source = make.batch(producer, product, quantity="10")
    before = row_counts(session)
    assert_problem(post(client, producer, transformation(stage, [(source, "1")], [(product, "A", "1")])),
                   422, "validation", field)
    assert row_counts(session) == before


@pytest.mark.parametrize(
    ("mutate", "field"),
    [(lambda b: b.update(inputs=[]), "inputs"), (lambda b: b.update(outputs=[]), "outputs"),
     (lambda b: b.update(inputs=b["inputs"] * 2), "inputs"), (lambda b: b.update(outputs=b["outputs"] * 2), "outputs"),
     (lambda b: b["inputs"][0].update(quantity="-1"), "inputs"), (lambda b: b["outputs"][0].update(quantity="0"),
                                                                  "outputs")],
    ids=["no-inputs", "no-outputs", "input-twice", "same-output-lot-twice", "negative-input", "zero-output"],
)
def test_malformed_transformations_are_422(client, make, session, mutate, field):
    producer = make.actor("producer")
    product = make.product(producer)
    source = make.batch(producer, product, quantity="10")
    body = transformation("sorting", [(source, "1")], [(product, "A", "1")])
    mutate(body)
    before = row_counts(session)
    assert_problem(post(client, producer, body), 422, "validation", field)
    assert row_counts(session) == before


def test_many_to_many_links_share_each_input_in_proportion_and_add_up(client, make, session):
    producer = make.actor("producer")
    product = make.product(producer, "tea", name="鲜叶")
    a, b = make.batch(producer, product, quantity="10"), make.batch(producer, product, quantity="20")
    body = transformation("processing", [(a, "10"), (b, "20")],
                          [(product, "M1", "1"), (product, "M2", "1"), (product, "M3", "1")])
    r = post(client, producer, body)
    assert r.status_code == 201, r.json
    found = links(session, body["id"])
    for source, consumed in ((a, "10"), (b, "20")):
        shares = [q for (i, _), (q, _) in found.items() if i == source.id]
        assert len(shares) == 3 and sum(map(Decimal, shares)) == Decimal(consumed)
    assert sorted(q for (i, _), (q, _) in found.items() if i == a.id) == ["3.333333", "3.333333", "3.333334"]
