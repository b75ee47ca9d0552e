"""Who vouches, in Debian's Chromium on a 390 px phone: an expired certification and a revoked brand, zh and en."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.factories import Factory
from tests.helpers import BROWSER_MARKS, launch_chromium, served
from tests.lookup.helpers import grow, new_life
from trace.config import REPO_ROOT
from trace.db import db
from trace.services.endorsements import china_today
from trace.services.endorsements.brands import revoke_grant
from trace.services.endorsements.certifications import declare_certification, verify_certification

OUT = REPO_ROOT / "test-output"

pytestmark = BROWSER_MARKS


def _seed(app: Flask) -> dict[str, Any]:
    """A batch whose product's organic certificate expired, and one whose producer's brand grant was revoked."""
    ledger, session = app.extensions["trace.ledger"], db.session
    make = Factory(session)
    today = china_today()
    lapsed = today - dt.timedelta(days=12)
    expired = grow(new_life(make, session, ledger, name="有机小番茄"))
    cert = declare_certification(session, expired.producer.user, {
        "kind": "organic", "issuer": "中绿华夏有机食品认证中心", "number": "ORG-2023-77",
        "products": [expired.product.id],
        "valid_from": lapsed - dt.timedelta(days=730), "valid_until": lapsed}, ledger=ledger,
        today=lapsed - dt.timedelta(days=700))
    verify_certification(session, make.actor("inspector").user, cert.id, {"result": "verified"}, ledger=ledger)
    revoked = grow(new_life(make, session, ledger, name="高山黄瓜"))
    brand, owner = make.brand("松阳好产")
    grant = next(g for g in brand.grants if g.organization_id == revoked.producer.org.id)
    revoke_grant(session, owner.user, brand.id, grant.id, "冒用品牌包装", ledger=ledger)
    session.commit()
    return {"expired": expired.batch.trace_code, "revoked": revoked.batch.trace_code, "lapsed": lapsed.isoformat(),
            "today": today.isoformat(), "owner": owner.org.name}


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, dict[str, Any]]]:
    with served("suyuan-browser-endorsed-", _seed) as (base, app, seeded):
        yield base, seeded


@pytest.fixture(scope="module")
def phone(site: tuple[str, dict[str, Any]]) -> Iterator[Any]:
    """A phone-sized Chromium context, JavaScript off."""
    sync_api = pytest.importorskip("playwright.sync_api")
    OUT.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="zh-CN", java_script_enabled=False)
        try:
            yield context
        finally:
            context.close()
            browser.close()


def _fits(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (selector, box)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_expired_certification_reads_expired(site: tuple[str, dict[str, Any]], phone: Any, lang: str) -> None:
    base, seeded = site
    page = phone.new_page()
    assert page.goto(f"{base}/T/{seeded['expired']}?lang={lang}").status == 200
    item = page.locator("#certifications li.cert-expired")
    assert item.count() == 1 and item.is_visible()
    text = " ".join(item.inner_text().split())
    if lang == "zh":
        assert text.startswith("有机产品 · 证书编号：ORG-2023-77") and f"已于 {seeded['lapsed']} 过期" in text
    else:
        assert text.startswith("Organic product · Certificate no.: ORG-2023-77")
        assert f"Expired on {seeded['lapsed']}" in text
    assert item.locator("small").get_attribute("class") == "bad"  # in the warning colour, not the muted one
    assert item.locator("small").evaluate("e => getComputedStyle(e).color") != page.locator(
        "#certifications h2").evaluate("e => getComputedStyle(e).color")
    _fits(page, "#certifications")
    page.locator("#certifications").scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / f"lookup-certification-expired-{lang}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_revoked_brand_reads_revoked(site: tuple[str, dict[str, Any]], phone: Any, lang: str) -> None:
    base, seeded = site
    page = phone.new_page()
    assert page.goto(f"{base}/T/{seeded['revoked']}?lang={lang}").status == 200
    brand = page.locator("#brand")
    assert brand.is_visible()
    text = " ".join(brand.inner_text().split())
    if lang == "zh":
        assert text == f"松阳好产 授权已被 {seeded['owner']} 于 {seeded['today']} 撤销；原因：冒用品牌包装"
    else:
        assert text == f"松阳好产 Authorisation revoked by {seeded['owner']} on {seeded['today']}; Reason: 冒用品牌包装"
    _fits(page, "#brand")
    page.screenshot(path=str(OUT / f"lookup-brand-revoked-{lang}.png"), full_page=True)
    page.close()
