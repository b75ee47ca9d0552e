"""合格证 rules: receiving without the seller's certificate; a merged or split batch sold without its own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.services.genealogy import Genealogy, day
from trace.models import ComplianceFinding

CERTIFICATE = {"number": "HGZ-1", "basis": ["quality_control"]}


@pytest.fixture()
def veg(make, session, app):
    return Genealogy(make, session, app.extensions["trace.ledger"], category="vegetables")


def found(session, batch, rule):
    return list(session.scalars(sa.select(ComplianceFinding).where(
        ComplianceFinding.batch_id == batch.id, ComplianceFinding.rule == rule)))


def test_receiving_without_the_seller_s_certificate_is_a_finding(veg, make, session):
    buyer = make.actor("producer", make.org("retailer"))
    bare, certified, late = veg.raw(), veg.raw(), veg.raw()
    veg.event("certificate", [certified], CERTIFICATE, at=day(110))
    for batch in (bare, certified, late):
        veg.ship(batch, buyer, at=day(120))
    veg.event("certificate", [late], CERTIFICATE, at=day(121))  # after the goods arrived: too late
    (finding,) = found(session, bare, "receiving_without_certificate")
    assert finding.event.stage == "receiving" and finding.severity == "medium"
    assert "合格证" in finding.message_zh and bare.trace_code in finding.message_en
    assert finding.details == {"seller": veg.producer.org.id}
    assert found(session, certified, "receiving_without_certificate") == []
    assert len(found(session, late, "receiving_without_certificate")) == 1


def test_the_buyer_s_own_certificate_is_not_the_seller_s(veg, make, session):
    buyer = make.actor("producer", make.org("retailer"))
    batch = veg.raw()
    veg.ship(batch, buyer, at=day(120), receive=False)
    veg.event("certificate", [batch], CERTIFICATE, at=day(120.1), actor=buyer)
    veg.event("receiving", [batch], {"from": veg.producer.org.id}, at=day(120.3), actor=buyer)
    assert len(found(session, batch, "receiving_without_certificate")) == 1


def test_produce_the_measures_do_not_cover_needs_no_certificate(gen, make, session):
    buyer = make.actor("producer", make.org("processor"))
    seed = gen.raw()  # grain_oil: not among the covered categories (第三条)
    gen.ship(seed, buyer, at=day(120))
    assert found(session, seed, "receiving_without_certificate") == []


def test_a_split_or_merged_batch_sold_without_its_own_certificate_is_a_finding(veg, session):
    a, b = veg.raw("100"), veg.raw("100")
    veg.event("certificate", [a], CERTIFICATE, at=day(90))  # the source's certificate is not the output's
    (merged,) = veg.transform([(a, "100"), (b, "100")], ["200"], stage="sorting", at=day(100))
    part, rest = veg.transform([(merged, "200")], ["120", "80"], stage="sorting", at=day(101))
    veg.event("sale", [part], {"channel": "market"}, at=day(103))
    veg.event("certificate", [rest], CERTIFICATE, at=day(102))
    veg.event("sale", [rest], {"channel": "market"}, at=day(103))
    (finding,) = found(session, part, "repacked_without_certificate")
    assert finding.event.stage == "sale"
    assert "混装或分装" in finding.message_zh and "repacked" in finding.message_en
    assert found(session, rest, "repacked_without_certificate") == []
    plain = veg.raw()
    veg.event("sale", [plain], {"channel": "market"}, at=day(103))  # not repacked: its producer's sale
    assert found(session, plain, "repacked_without_certificate") == []


def test_every_rule_can_be_asked_for_by_name():
    from trace.schemas.lineage import RULES as NAMES
    from trace.services.compliance.compliance import RULES
    from trace.services.compliance.rules import EXCURSION_RULE

    named = [*RULES, EXCURSION_RULE]  # excursions are found when sensor windows are sealed, not by a rule
    assert sorted(NAMES) == sorted(named)
    assert max(map(len, named)) <= ComplianceFinding.__table__.c.rule.type.length  # stored as it is named
