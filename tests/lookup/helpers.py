"""A batch with a full life (planting to sale, inspection, 合格证, cold chain) to look up, and page helpers."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tests.factories import Actor, Factory
from trace.codes.gtin import gs1_check_digit
from trace.models import Batch, Event, Product, RegionalBrand
from trace.schemas.batches import BatchIn
from trace.services.catalog.catalog import create_product
from trace.services.endorsements.brands import register_brand
from trace.services.organizations.organizations import create_organization
from trace.services.records.batches import register_batch
from trace.services.records.events import record_event

_gtins = itertools.count(1)


START = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=90)


HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


JSON = {"Accept": "application/json"}


def new_gtin() -> str:
    """Return a fresh valid GTIN-13."""
    body = f"69{next(_gtins) + 70000000:010d}"
    return body + str(gs1_check_digit(body))


def at(days: float) -> dt.datetime:
    return START + dt.timedelta(days=days)


def text_of(html: str) -> str:
    """Return the visible text of a page, tags stripped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@dataclass
class Life:
    """One producer's product and batch, with what happened to it."""

    make: Factory
    session: Any
    ledger: Any
    producer: Actor
    product: Product
    batch: Batch
    events: list[Event] = field(default_factory=list)
    clock: float = 0

    def record(self, stage: str, data: dict[str, Any] | None = None, *, actor: Actor | None = None,
               batch: Batch | None = None, days: float = 1, attachments: list[dict[str, Any]] | None = None) -> Event:
        self.clock += days
        body = {"id": uuid.uuid4(), "stage": stage, "batches": [(batch or self.batch).trace_code],
                "occurred_at": at(self.clock), "data": data or {}, "attachments": attachments or []}
        event, _ = record_event(self.session, (actor or self.producer).user, body,
                                ledger=self.ledger)
        self.session.commit()
        self.events.append(event)
        return event


def new_life(make: Factory, session: Any, ledger: Any, *, gtin: bool = True, name: str = "高山番茄",
             lot: str | None = None) -> Life:
    producer = make.actor("producer")
    brand, owner = make.brand("松阳好产")
    make.grant(brand, owner, producer.org)
    product = create_product(session, producer.user, {
        "category": "vegetables", "name": name, "name_en": "Highland tomatoes", "gtin": new_gtin() if gtin else None,
        "brand": "石仓", "regional_brand": "松阳好产", "certifications": [
            {"kind": "green_food", "number": "LB-18-2101234567", "issuer": "中国绿色食品发展中心"}],
    }, ledger=ledger)
    session.commit()
    return Life(make, session, ledger, producer, product, make.batch(producer, product, quantity="2500", lot=lot))


def grow(life: Life, *, temperatures: tuple[str, ...] = ("3.5", "4.0", "6.2")) -> Life:
    """Record planting to sale on the life's batch, with an inspection, a 合格证 and cold-chain readings."""
    readings = [{"time": (at(40) + dt.timedelta(hours=i)).isoformat(), "celsius": c}
                for i, c in enumerate(temperatures)]
    retailer = life.make.actor("producer", life.make.org("retailer", name="松阳县城东农贸市场"))
    life.record("planting", {"plot": "石仓村大棚7号", "variety": "浙粉702", "area": "3.5", "areaUnit": "MU"})
    life.record("input", {"inputType": "pesticide", "product": "吡虫啉可湿性粉剂", "dose": "30", "doseUnit": "g/亩",
                          "registrationNumber": "PD20101234", "preHarvestIntervalDays": 7}, days=10)
    life.record("harvest", {"quantity": "2500", "uom": "KGM"}, days=25)
    life.record("inspection", {"items": [
        {"item": "吡虫啉", "method": "GB 23200.121", "limit": "0.5", "measured": "0.01", "unit": "mg/kg",
         "result": "pass"},
        {"item": "毒死蜱", "limit": "0.02", "measured": "0.003", "unit": "mg/kg", "result": "pass"}],
        "result": "pass", "lab": "松阳县农产品质量安全检测站", "reportNumber": "SY2026-0088"})
    life.record("packing", {"packageType": "礼盒", "units": 500})
    life.record("certificate", {"number": "HGZ-2026-0088", "basis": ["quality_control", "self_test"]})
    life.record("storage", {"warehouse": "合作社冷库", "temperatures": readings}, days=2)
    life.record("shipping", {"recipient": retailer.org.id, "quantity": "2500", "uom": "KGM"})
    life.record("receiving", {"from": life.producer.org.id}, actor=retailer, days=0.3)
    life.record("sale", {"channel": "market", "quantity": "100", "uom": "KGM"}, actor=retailer)
    return life


def ascii_org(make: Factory, kind: str, name: str) -> Any:
    """Return an organization whose every shown value is ASCII (pages in English show no Chinese of theirs)."""
    org = create_organization(make.session, None, {
        "kind": kind, "name": name, "region": {"province": "Zhejiang", "county": "Songyang", "township": "Xinxing"},
        "contact": {"name": "Wang", "phone": "0578-8000000"}})
    make.session.commit()
    return org


def ascii_life(make: Factory, session: Any, ledger: Any) -> Life:
    """Return a life like ``grow``'s whose data values are all ASCII: English pages of it show no Chinese at all."""
    producer = make.actor("producer", ascii_org(make, "cooperative", "Green Valley Co-op"))
    brand = make.session.scalar(sa.select(RegionalBrand).where(RegionalBrand.name == "Songyang Good"))
    owner = make.actor("admin", brand.owner if brand else ascii_org(make, "authority", "Songyang Brand Office"))
    if brand is None:  # the claim needs a registered brand and a grant (certs); its owner's name is ASCII too
        brand = register_brand(session, owner.user, {
            "code": f"b{uuid.uuid4().hex[:12]}", "name": "Songyang Good", "name_en": "Songyang Good",
            "owner": owner.org.id, "categories": ["vegetables"],
            "region": {"province": "Zhejiang", "county": "Songyang"}}, ledger=ledger)
    make.grant(brand, owner, producer.org)
    product = create_product(session, producer.user, {
        "category": "vegetables", "name": "Highland tomatoes", "gtin": new_gtin(), "brand": "Stone Barn",
        "regional_brand": "Songyang Good", "certifications": [
            {"kind": "green_food", "number": "LB-18-2101234567", "issuer": "China Green Food Development Center"},
            {"kind": "organic", "number": "OG-1", "issuer": "Organic Office", "validUntil": "2030-01-01"}],
    }, ledger=ledger)
    batch = register_batch(session, producer.user, BatchIn().load({
        "product": product.id, "lot": f"LOT-{uuid.uuid4().hex[:8]}", "quantity": "2500", "uom": "KGM",
        "origin": {"name": "Plot 3", "latitude": "28.45", "longitude": "119.48", "area": "3.5", "areaUnit": "MU"},
    }), ledger=ledger)
    session.commit()
    life = Life(make, session, ledger, producer, product, batch)
    retailer = make.actor("producer", ascii_org(make, "retailer", "Town Market"))
    readings = [{"time": (at(40) + dt.timedelta(hours=i)).isoformat(), "celsius": c}
                for i, c in enumerate(("3.5", "4.0", "12.2"))]
    life.record("planting", {"plot": "Greenhouse 7", "variety": "Zhefen 702", "area": "3.5", "areaUnit": "MU"})
    life.record("input", {"inputType": "pesticide", "product": "Imidacloprid WP", "dose": "30", "doseUnit": "g/mu",
                          "registrationNumber": "PD20101234", "preHarvestIntervalDays": 7}, days=10)
    life.record("harvest", {"quantity": "2500", "uom": "KGM"}, days=25)
    life.record("inspection", {"items": [
        {"item": "Imidacloprid", "method": "GB 23200.121", "limit": "0.5", "measured": "0.01", "unit": "mg/kg",
         "result": "pass"},
        {"item": "Chlorpyrifos", "limit": "0.02", "measured": "0.03", "unit": "mg/kg", "result": "fail"}],
        "result": "fail", "kind": "sampling", "lab": "Songyang Test Station", "reportNumber": "SY2026-0088"})
    life.record("packing", {"packageType": "Gift box", "units": 500})
    life.record("certificate", {"number": "HGZ-2026-0088", "basis": ["quality_control", "self_test"]})
    life.record("storage", {"warehouse": "Co-op cold store", "temperatures": readings}, days=2)
    life.record("shipping", {"recipient": retailer.org.id, "quantity": "2500", "uom": "KGM"})
    life.record("receiving", {"from": producer.org.id}, actor=retailer, days=0.3)
    life.record("sale", {"channel": "market", "quantity": "100", "uom": "KGM"}, actor=retailer)
    return life
