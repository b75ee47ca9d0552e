"""The page and its JSON variant say who vouches: verified, unverified and expired certifications, the brand's grant."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.lookup.helpers import HTML, JSON, grow, new_life, text_of
from trace.models import Certification
from trace.services.audit.verification import page_verdict
from trace.services.catalog.catalog import create_product
from trace.services.endorsements import china_today
from trace.services.endorsements.certifications import declare_certification, verify_certification
from trace.services.lineage.recalls import open_recall
from trace.services.records.batches import batch_events

TODAY = china_today()


def _certify(life, *, kind, number, start, until, verifier=None, declared=None):
    fields = {"kind": kind, "issuer": "中国绿色食品发展中心", "number": number, "products": [life.product.id],
              "valid_from": start, "valid_until": until}
    cert = declare_certification(life.session, life.producer.user, fields, ledger=life.ledger, today=declared)
    if verifier is not None:
        verify_certification(life.session, verifier.user, cert.id, {"result": "verified"}, ledger=life.ledger)
    life.session.commit()
    return cert


def _page(client, code, lang="zh"):
    r = client.get(f"/T/{code}?lang={lang}", headers=HTML)
    assert r.status_code == 200
    return text_of(r.get_data(as_text=True))


def _json(client, code, lang="zh"):
    r = client.get(f"/T/{code}?lang={lang}", headers=JSON)
    assert r.status_code == 200
    return r.json


def test_verified_unverified_expired_and_declared_certifications_read_differently(client, make, session, ledger):
    life = grow(new_life(make, session, ledger))
    station = make.actor("inspector", make.org("inspection_agency", name="松阳县农业农村局监管科"))
    until = TODAY + dt.timedelta(days=200)
    _certify(life, kind="organic", number="ORG-OK", start=TODAY - dt.timedelta(days=10), until=until,
             verifier=station)
    _certify(life, kind="geographical_indication", number="AGI-NEW", start=TODAY - dt.timedelta(days=1), until=until)
    lapsed = TODAY - dt.timedelta(days=20)
    _certify(life, kind="green_food", number="LB-OLD", start=lapsed - dt.timedelta(days=700), until=lapsed,
             verifier=station, declared=lapsed - dt.timedelta(days=600))

    text = _page(client, life.batch.trace_code)
    assert f"有机产品 · 证书编号：ORG-OK · 中国绿色食品发展中心 经 松阳县农业农村局监管科 核验；有效期至 {until}" \
        in text
    assert f"农产品地理标志 · 证书编号：AGI-NEW · 中国绿色食品发展中心 尚未核验；有效期至 {until}" in text
    assert f"绿色食品 · 证书编号：LB-OLD · 中国绿色食品发展中心 已于 {lapsed} 过期" in text
    assert "绿色食品 · 证书编号：LB-18-2101234567 · 中国绿色食品发展中心 生产者自我声明，未经核验" in text  # free text
    english = _page(client, life.batch.trace_code, "en")
    assert "Organic product · Certificate no.: ORG-OK" in english
    assert f"Expired on {lapsed}" in english and "Declared by the producer, not verified" in english

    body = _json(client, life.batch.trace_code)
    states = [(c["number"], c["state"], c["until"], c["good"]) for c in body["certifications"]]
    assert states == [("ORG-OK", "verified", until.isoformat(), True),
                      ("AGI-NEW", "unverified", until.isoformat(), False),
                      ("LB-18-2101234567", "unverified", None, False),
                      ("LB-OLD", "expired", lapsed.isoformat(), False)]
    assert body["certifications"][0]["signedBy"] == "松阳县农业农村局监管科"
    assert body["certifications"][2]["records"] == []  # self-declared text rests on no record of its own
    assert body["verification"]["verified"] is True  # the records the endorsements rest on are signed and logged


def test_the_page_names_who_granted_the_brand_and_shows_a_revocation_on_every_product_of_the_producer(
        client, make, session, ledger):
    life = grow(new_life(make, session, ledger))
    brand, owner = make.brand("松阳好产")
    grant = next(g for g in brand.grants if g.organization_id == life.producer.org.id)
    second = make.batch(life.producer, life.product)

    text = _page(client, life.batch.trace_code)
    assert f"区域公用品牌 松阳好产 授权至 {grant.valid_until} · 授权方：{owner.org.name}" in text
    english = _page(client, life.batch.trace_code, "en")
    assert f"Authorised until {grant.valid_until} by {owner.org.name}" in english
    body = _json(client, second.trace_code)
    assert body["credentials"]["brand"]["state"] == "authorised"
    assert body["credentials"]["brand"]["until"] == grant.valid_until.isoformat()

    r = client.post(f"/api/v1/brands/{brand.id}/grants/{grant.id}/revocation", json={"reason": "抽检不合格"},
                    headers=owner.headers)
    assert r.status_code == 200, r.json
    for code in (life.batch.trace_code, second.trace_code):  # the cached pages are refreshed by the new record
        text = _page(client, code)
        assert f"授权已被 {owner.org.name} 于 {TODAY} 撤销；原因：抽检不合格" in text
        assert "授权至" not in text
        brand_json = _json(client, code)["credentials"]["brand"]
        assert (brand_json["state"], brand_json["good"], brand_json["reason"]) == ("revoked", False, "抽检不合格")


def test_a_recall_leads_and_the_verified_mark_makes_no_safety_claim(client, make, session, ledger):
    life = grow(new_life(make, session, ledger))
    station = make.actor("inspector")
    _certify(life, kind="organic", number="ORG-R", start=TODAY, until=TODAY + dt.timedelta(days=30), verifier=station)
    assert "✓ 已验证" in _page(client, life.batch.trace_code)
    open_recall(session, station.user, life.batch, "农药残留超标", ledger=ledger)
    session.commit()
    r = client.get(f"/T/{life.batch.trace_code}", headers=HTML)
    html = r.get_data(as_text=True)
    text = text_of(html)
    assert "✓ 已验证" not in text and "记录完整，但不代表安全：请看上方警示" in text
    assert "此批次已召回或检测不合格：以下认证与品牌不代表产品安全。" in text
    assert html.index('role="alert"') < html.index('id="product"') < html.index('id="certifications"')
    body = _json(client, life.batch.trace_code, "en")
    assert body["verification"]["state"] == "verified" and body["verification"]["cleared"] is False
    assert body["credentials"]["caution"].startswith("This batch is recalled or failed a test")


def test_a_certification_row_changed_without_a_record_fails_the_verdict(client, make, session, ledger):
    life = grow(new_life(make, session, ledger))
    cert = _certify(life, kind="organic", number="ORG-T", start=TODAY, until=TODAY + dt.timedelta(days=30),
                    verifier=make.actor("inspector"))
    assert page_verdict(session, ledger, life.batch, batch_events(session, life.batch)).verified
    session.execute(sa.update(Certification).where(Certification.id == cert.id)
                    .values(valid_until=TODAY + dt.timedelta(days=3000)))
    session.commit()
    session.expire_all()
    verdict = page_verdict(session, ledger, life.batch, batch_events(session, life.batch))
    assert not verdict.verified
    assert [(p.kind, p.event_id) for p in verdict.problems] == [("facts", cert.record_id)]


def test_the_english_page_names_the_brand_in_english(client, make, session, ledger):
    brand, owner = make.brand("松阳菌菇", categories=("edible_fungi",), name_en="Songyang Mushrooms")
    producer = make.actor("producer")
    grant = make.grant(brand, owner, producer.org)
    product = create_product(session, producer.user, {"category": "edible_fungi", "name": "香菇",
                                                      "regional_brand": "松阳菌菇"}, ledger=ledger)
    session.commit()
    batch = make.batch(producer, product)
    assert f"区域公用品牌 松阳菌菇 授权至 {grant.valid_until}" in _page(client, batch.trace_code)
    assert f"Regional brand Songyang Mushrooms Authorised until {grant.valid_until} by {owner.org.name}" \
        in _page(client, batch.trace_code, "en")
    assert _json(client, batch.trace_code, "en")["credentials"]["brand"]["name"] == "Songyang Mushrooms"
