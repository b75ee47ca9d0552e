"""Shipping: the recipient becomes the batch's custodian; EPCIS names it as the destination."""

from __future__ import annotations

from trace.stages import stage

SHIPPING = stage("shipping")


def test_schema_accepts_a_shipment_and_refuses_one_without_recipient(loads):
    assert loads(SHIPPING, {"recipient": 1, "vehicle": "浙K·12345", "quantity": "40", "uom": "KGM"}) == {}
    assert loads(SHIPPING, {"vehicle": "浙K·12345"}) == {"recipient": ["Missing data for required field."]}


def test_the_recipient_holds_the_batch_and_an_unknown_one_is_refused(make, record, refused):
    producer = make.actor("producer")
    market = make.org("retailer", "城东农贸市场")
    batch = make.batch(producer)
    record(producer, "shipping", [batch], {"recipient": market.id, "quantity": "40", "uom": "KGM"})
    assert batch.custodian_id == market.id
    other = make.batch(producer)
    assert refused(producer, "shipping", [other], {"recipient": 999999}) == {"recipient": ["No such organization."]}
    assert other.custodian_id == producer.org.id


def test_epcis_round_trip(make, record, as_epcis, foreign, organization_by_uri):
    producer = make.actor("producer")
    market = make.org("retailer", "城东农贸市场")
    batch = make.batch(producer)
    data = {"recipient": market.id, "quantity": "40", "uom": "KGM"}
    exported = foreign(as_epcis(record(producer, "shipping", [batch], data)))
    assert exported["destinationList"][0]["destination"].endswith(f"/org/{market.id}")
    assert exported["disposition"].endswith("Disp-in_transit")
    assert SHIPPING.from_epcis(exported, organization_by_uri) == data


def test_labels(both):
    assert both(SHIPPING.label) == ("物流/发货", "Shipping")
    assert both(SHIPPING.labels["recipient"]) == ("收货方", "Recipient")
