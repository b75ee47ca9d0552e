"""Recalls: exactly the downstream set, signed and logged records, holders, notice, closing."""

from __future__ import annotations

import base64
import csv
import io

import pytest
import sqlalchemy as sa

from tests.services.genealogy import day, diamond
from trace import ledger as ledger_lib
from trace.errors import ConflictError, PermissionDeniedError
from trace.models import Event, EventBatch, LogEntry, SigningKey
from trace.services.lineage.recalls import close_recall, get_recall, notice_csv, open_recall, recall_view


def recall_events(session, batch):
    return list(session.scalars(sa.select(Event).join(EventBatch, EventBatch.event_id == Event.id)
                                .where(EventBatch.batch_id == batch.id, Event.stage == "recall")
                                .order_by(Event.recorded_at)))


def signed_by(session, event):
    """Return the organization whose key signed the event's log entry (after checking the signature)."""
    entry = session.scalar(sa.select(LogEntry).where(LogEntry.event_id == event.id))
    record, signatures = ledger_lib.parse_leaf(entry.leaf)
    key = session.scalar(sa.select(SigningKey).where(SigningKey.key_id == signatures[0]["keyId"]))
    assert ledger_lib.verify_record(key.public_key, record, base64.b64decode(signatures[0]["sig"]))
    return key.organization_id, record


def test_recall_reaches_exactly_the_downstream_set(gen, make, session, ledger):
    n = diamond(gen)
    inspector = make.actor("inspector")
    recall = open_recall(session, inspector.user, n["S1"], "沙门氏菌检出 Salmonella found", ledger=ledger)
    session.expire_all()
    reached = {rb.batch.trace_code: rb.depth for rb in recall.affected}
    assert reached == {n["S1"].trace_code: 0, n["M2"].trace_code: 1, n["F"].trace_code: 2}
    for key in ("S1", "M2", "F"):
        assert (n[key].status, n[key].disposition) == ("recalled", "recalled")
        (event,) = recall_events(session, n[key])
        assert event.data == {"action": "open", "recallId": recall.id, "reason": "沙门氏菌检出 Salmonella found",
                              "origin": n["S1"].trace_code}
        org, record = signed_by(session, event)
        assert org == inspector.org.id and record["batches"] == [n[key].trace_code]
    for key in ("A", "B", "C", "M", "S2", "P"):
        assert n[key].status != "recalled"
        assert recall_events(session, n[key]) == []


def test_producer_recalls_its_batch_and_what_another_organization_made_from_it(gen, make, session, ledger):
    mill = make.actor("producer", make.org("processor"))
    seeds = gen.raw("100")
    gen.ship(seeds, mill, at=day(100))
    oil_product = make.product(mill, "grain_oil", name="菜籽油")
    (oil,) = gen.transform([(seeds, "100")], ["40"], actor=mill, product=oil_product, at=day(101))
    recall = open_recall(session, gen.producer.user, seeds, "农残超标", ledger=ledger)
    assert {rb.batch_id for rb in recall.affected} == {seeds.id, oil.id}
    (event,) = recall_events(session, oil)
    assert signed_by(session, event)[0] == gen.producer.org.id  # the recalling organization answers for it


@pytest.mark.parametrize("who", ["stranger", "admin", "mill"])
def test_only_inspectors_and_the_producing_organization_recall(gen, make, session, ledger, who):
    mill = make.actor("producer", make.org("processor"))
    seeds = gen.raw("100")
    gen.ship(seeds, mill)  # the mill holds it but did not produce it
    actor = {"stranger": make.actor("producer"), "admin": make.actor("admin"), "mill": mill}[who]
    with pytest.raises(PermissionDeniedError):
        open_recall(session, actor.user, seeds, "x", ledger=ledger)


def test_recall_lists_who_holds_affected_stock_and_exports_a_notice(gen, make, session, ledger):
    wholesaler = make.actor("producer", make.org("enterprise", name="=HYPERLINK(\"x\")批发"))
    retailer = make.actor("producer", make.org("retailer", name="农家乐超市"))
    source = gen.raw("100")
    (packed,) = gen.transform([(source, "100")], ["90"])
    gen.ship(packed, wholesaler, quantity="90", at=day(110))
    gen.ship(packed, retailer, quantity="30", actor=wholesaler, at=day(111))
    recall = open_recall(session, gen.producer.user, source, "异物 foreign matter", ledger=ledger)
    view = recall_view(session, get_recall(session, make.actor("inspector").user, recall.id))
    assert [a["code"] for a in view["affected"]] == [source.trace_code, packed.trace_code]
    holders = {h["organization"]["id"]: h for h in view["holders"]}
    assert set(holders) == {wholesaler.org.id, retailer.org.id}  # the consumed source is held by no one
    shop = holders[retailer.org.id]
    assert shop["organization"]["contactPhone"] == "0578-8000000"
    assert shop["batches"] == [{"code": packed.trace_code, "relations": ["custodian", "received", "recipient"],
                                "quantity": "30", "uom": "KGM", "lastRecordAt": shop["batches"][0]["lastRecordAt"]}]
    assert holders[wholesaler.org.id]["batches"][0]["relations"] == ["received", "recipient"]

    text = notice_csv(session, recall)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["召回编号 Recall", "追溯码 Trace code", "产品 Product"]
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {packed.trace_code}
    by_org = {r[6]: r for r in rows[1:]}
    assert by_org["农家乐超市"][7] == "当前持有 holds now; 已收货 received; 收货方 shipped to"
    assert by_org["农家乐超市"][11] == "30"
    assert "'=HYPERLINK(\"x\")批发" in by_org  # a formula in a name is neutralised


def test_closing_records_on_every_batch_and_only_once(gen, make, session, ledger):
    n = diamond(gen)
    inspector = make.actor("inspector")
    recall = open_recall(session, gen.producer.user, n["M2"], "标签错误", ledger=ledger)
    with pytest.raises(PermissionDeniedError):
        close_recall(session, make.actor("producer").user, recall.id, "处理完毕", ledger=ledger)
    closed = close_recall(session, inspector.user, recall.id, "已全部下架销毁 all withdrawn", ledger=ledger)
    assert closed.status == "closed" and closed.close_note == "已全部下架销毁 all withdrawn"
    for rb in closed.affected:
        opened, closing = recall_events(session, rb.batch)
        assert closing.id == rb.close_event_id
        assert closing.data == {"action": "close", "recallId": recall.id, "note": "已全部下架销毁 all withdrawn"}
        assert signed_by(session, closing)[0] == inspector.org.id
        assert rb.batch.status == "recalled"  # closing does not put the stock back on sale
    with pytest.raises(ConflictError):
        close_recall(session, inspector.user, recall.id, "again", ledger=ledger)


def test_destroyed_stock_stays_destroyed_when_a_recall_reaches_it(gen, make, session, ledger):
    source = gen.raw("100")
    (made,) = gen.transform([(source, "50")], ["45"])
    gen.event("destruction", [made], {"method": "焚烧"})
    open_recall(session, make.actor("inspector").user, source, "复检不合格", ledger=ledger)
    session.expire_all()
    assert (made.status, source.status) == ("destroyed", "recalled")
