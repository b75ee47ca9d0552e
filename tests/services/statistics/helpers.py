"""A county scene for the statistics tests, and figures counted from its records independently of the counters."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tests.factories import ago, event_body
from trace.models import ComplianceFinding, Event, EventBatch, Organization, PrivateValues
from trace.services.organizations.aid import mark_aid
from trace.services.organizations.townships import create_township, place_organization
from trace.services.public.feedback import submit_feedback
from trace.times import CHINA

XINXING, DADONGBA = "331124104000", "331124103000"


def today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def post(client: Any, actor: Any, path: str, body: dict[str, Any], status: int = 201) -> Any:
    r = client.post(f"/api/v1/{path}", json=body, headers=actor.headers)
    assert r.status_code == status, r.json
    return r.json


def county_scene(client: Any, make: Any, session: Any) -> dict[str, Any]:
    """Two producers in two townships (one an aid cooperative), sales, tests, a transformation, a correction,
    a void, a recall, a revoked grant and feedback."""
    create_township(session, None, {"code": XINXING, "name": "新兴镇"})
    create_township(session, None, {"code": DADONGBA, "name": "大东坝镇"})
    a, b = make.actor("producer"), make.actor("producer")
    place_organization(session, None, a.org, XINXING)
    place_organization(session, None, b.org, DADONGBA)
    mark_aid(session, None, a.org, "cooperative", 5)
    session.commit()
    veg = make.batch(a, make.product(a, "vegetables"), quantity="100")
    fruit = make.batch(b, make.product(b, "fruit", name="猕猴桃"), quantity="50")
    sold = post(client, a, "events", event_body("sale", [veg], {
        "channel": "online", "platform": "淘宝", "quantity": "10", "uom": "KGM", "unitPrice": "4.5",
        "order": "ORD-SECRET-7731", "buyer": "张三丰", "buyerKind": "consumer"}))
    post(client, b, "events", event_body("sale", [fruit], {"channel": "market", "quantity": "5", "uom": "KGM",
                                                           "amount": "60.00", "buyerKind": "retailer"}))
    voided = post(client, b, "events", event_body("sale", [fruit], {"channel": "online", "quantity": "2",
                                                                    "amount": "30", "order": "ORD-VOID-1"}))
    post(client, a, "events", event_body("inspection", [veg], {
        "kind": "rapid_test", "result": "pass",
        "items": [{"item": "农残速测", "result": "pass"}]}))
    post(client, b, "events", event_body("inspection", [fruit], {
        "kind": "rapid_test", "result": "fail", "items": [{"item": "农残速测", "result": "fail"}]}))
    out = make.product(a, "vegetables", name="净菜")
    post(client, a, "transformations", {
        "id": str(uuid.uuid4()), "stage": "sorting", "occurredAt": ago(minutes=50), "data": {},
        "inputs": [{"batch": veg.trace_code, "quantity": "50", "uom": "KGM"}],
        "outputs": [{"product": out.id, "lot": "P-1", "quantity": "45", "uom": "KGM"}]})
    post(client, a, f"events/{sold['id']}/corrections",
         {"id": str(uuid.uuid4()), "fields": {"quantity": "12"}, "reason": "少记了两千克"})
    post(client, b, f"events/{voided['id']}/corrections", {"id": str(uuid.uuid4()), "void": True, "reason": "重复"})
    post(client, make.actor("inspector"), f"batches/{fruit.trace_code}/recalls", {"reason": "农残超标"})
    brand, office = make.brand()
    kept = make.grant(brand, office, a.org)
    revoked = make.grant(brand, office, b.org)
    post(client, office, f"brands/{brand.id}/grants/{revoked.id}/revocation", {"reason": "抽检不合格"}, 200)
    submit_feedback(session, veg, None, {"kind": "rating", "rating": 4, "text": "新鲜"}, nonce=uuid.uuid4().hex[:16],
                    lang="zh")
    session.commit()
    return {"a": a, "b": b, "veg": veg, "fruit": fruit, "sold": sold["id"], "kept_grant": kept.id,
            "order": "ORD-SECRET-7731", "buyer": "张三丰"}


def counted_from_records(session: Any, start: dt.date, end: dt.date) -> dict[str, dict[str, Any]]:
    """Count figures by township straight from the records (events, corrections, private values)."""
    since = dt.datetime.combine(start, dt.time(), CHINA)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA)
    townships = dict(session.execute(sa.select(Organization.id, Organization.township_code)).all())
    events = list(session.scalars(sa.select(Event).where(Event.occurred_at >= since, Event.occurred_at < until)))
    corrections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.recorded_at):
        if event.stage == "correction":
            corrections[event.data["record"]].append(event.data)
    private = {p.event_id: p.values for p in session.scalars(sa.select(PrivateValues))}
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "orgs": set(), "records": 0, "stages": defaultdict(int), "registered": 0, "registered_kg": Decimal(0),
        "transformed": 0, "tests": 0, "passed": 0, "recalls": 0,
        "sales": {c: [0, Decimal(0), Decimal(0)] for c in ("online", "offline")},
        "aid": {c: [0, Decimal(0), Decimal(0)] for c in ("online", "offline")}})
    for event in events:
        place = out[townships.get(event.organization_id) or ""]
        place["orgs"].add(event.organization_id)
        place["records"] += 1
        place["stages"][event.stage] += 1
        data, void = dict(event.data), False
        for correction in corrections.get(event.id, []):
            void = void or bool(correction.get("void"))
            data.update(correction.get("fields") or {})
        if void:
            continue
        if event.stage == "registration":
            key = "transformed" if data.get("transformation") else "registered"
            place[key] += 1
            if key == "registered":
                place["registered_kg"] += Decimal(data["quantity"])
        elif event.stage == "inspection":
            place["tests"] += 1
            place["passed"] += data["result"] == "pass"
        elif event.stage == "recall":
            place["recalls"] += 1
        elif event.stage == "sale":
            channel = "online" if data["channel"] == "online" else "offline"
            values = private[event.id]
            for figure in ("sales", "aid") if values.get("aid") else ("sales",):
                sums = place[figure][channel]
                sums[0] += 1
                sums[1] += Decimal(data.get("quantity") or 0)
                sums[2] += Decimal(values.get("amount") or 0)
    return out


def first_batch_ids(session: Any, event_id: str) -> list[int]:
    return list(session.scalars(sa.select(EventBatch.batch_id).where(EventBatch.event_id == event_id)))


def open_findings(session: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding)
                          .where(ComplianceFinding.resolved_at.is_(None))) or 0
