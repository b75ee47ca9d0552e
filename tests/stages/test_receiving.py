"""Receiving: only the custodian says a batch arrived; EPCIS names the sender as the source."""

from __future__ import annotations

from tests.factories import event_body
from trace.stages import stage

RECEIVING = stage("receiving")


def test_schema_accepts_a_sender_and_refuses_text_for_it(loads):
    assert loads(RECEIVING, {"from": 3, "quantity": "40", "uom": "KGM"}) == {}
    assert set(loads(RECEIVING, {"from": "合作社"})) == {"from"}


def test_only_the_custodian_receives_and_custody_stays(client, make, record, as_epcis, foreign,
                                                        organization_by_uri):
    producer = make.actor("producer")
    market = make.actor("producer", make.org("retailer", "城东农贸市场"))
    batch = make.batch(producer)
    record(producer, "shipping", [batch], {"recipient": market.org.id})
    data = {"from": producer.org.id, "quantity": "40", "uom": "KGM"}
    event = record(market, "receiving", [batch], data)
    assert batch.custodian_id == market.org.id
    exported = foreign(as_epcis(event))
    assert exported["sourceList"][0]["source"].endswith(f"/org/{producer.org.id}")
    assert RECEIVING.from_epcis(exported, organization_by_uri) == data
    stranger = make.actor("producer")
    r = client.post("/api/v1/events", json=event_body("receiving", [batch], {"from": producer.org.id}),
                    headers=stranger.headers)
    assert r.status_code == 403


def test_labels(both):
    assert both(RECEIVING.label) == ("收货", "Receiving")
    assert both(RECEIVING.labels["from"]) == ("发货方", "From")
