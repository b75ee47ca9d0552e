"""Recall: the batch becomes recalled; the recall's id and closing are the recall service's."""

from __future__ import annotations

from trace.stages import stage

RECALL = stage("recall")


def test_schema_accepts_a_reason_and_refuses_a_closing_without_note(loads):
    assert loads(RECALL, {"reason": "农残超标"}) == {}
    assert loads(RECALL, {"action": "close", "recallId": 1}) == {"note": ["Required when closing a recall."]}


def test_an_inspector_recalls_a_batch_but_not_with_the_services_fields(make, record, refused, as_epcis):
    producer, inspector = make.actor("producer"), make.actor("inspector")
    batch = make.batch(producer)
    assert set(refused(inspector, "recall", [batch], {"reason": "x", "recallId": 1})) == {"recallId"}
    assert batch.status == "active"
    event = record(inspector, "recall", [batch], {"reason": "农残超标"})
    assert (batch.status, batch.disposition) == ("recalled", "recalled")
    assert as_epcis(event)["disposition"].endswith("Disp-recalled")


def test_labels(both):
    assert both(RECALL.label) == ("召回", "Recall")
    assert both(RECALL.values["action"]["close"]) == ("召回结束", "Recall closed")
