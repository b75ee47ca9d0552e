"""Sale: what was sold leaves what is available, never below zero."""

from __future__ import annotations

from trace.stages import stage

SALE = stage("sale")


def test_schema_accepts_a_channel_and_refuses_an_unknown_one(loads):
    assert loads(SALE, {"channel": "supermarket", "quantity": "30", "uom": "KGM"}) == {}
    assert set(loads(SALE, {"channel": "street"})) == {"channel"}


def test_it_takes_from_what_is_available_and_never_below_zero(make, record):
    producer = make.actor("producer")
    batch = make.batch(producer)
    record(producer, "sale", [batch], {"channel": "market", "quantity": "30", "uom": "KGM"})
    assert batch.available == 70
    record(producer, "sale", [batch], {"channel": "market", "quantity": "5", "uom": "TNE"})  # another unit: unknown
    assert batch.available == 70
    record(producer, "sale", [batch], {"channel": "market", "quantity": "90"})
    assert (batch.available, batch.quantity) == (0, 100)


def test_epcis_round_trip(make, record, as_epcis, foreign, organization_by_uri):
    producer = make.actor("producer")
    batch = make.batch(producer)
    data = {"channel": "other", "quantity": "30", "uom": "KGM"}
    exported = foreign(as_epcis(record(producer, "sale", [batch], data)))
    assert exported["disposition"].endswith("Disp-retail_sold")
    assert SALE.from_epcis(exported, organization_by_uri) == data


def test_labels(both):
    assert both(SALE.label) == ("销售", "Sale")
    assert both(SALE.values["channel"]["market"]) == ("农贸市场", "Market")
