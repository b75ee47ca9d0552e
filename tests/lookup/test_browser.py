"""The lookup page in Debian's Chromium: a 390×844 phone, JavaScript off, a real server, no request leaving it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.factories import Factory
from tests.helpers import BROWSER_MARKS, launch_chromium, served
from tests.lookup.helpers import grow, new_life
from trace.config import REPO_ROOT
from trace.db import db
from trace.models import Feedback
from trace.services.lineage.recalls import open_recall
from trace.services.printing.labels import issue_labels

OUT = REPO_ROOT / "test-output"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
             "Mobile Safari/537.36 MicroMessenger/8.0.47")

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base: str
    app: Flask
    batch: str
    batch_id: int
    recalled: str
    serial: str


def _seed(app: Flask) -> dict[str, Any]:
    ledger = app.extensions["trace.ledger"]
    session = db.session
    make = Factory(session)
    life = grow(new_life(make, session, ledger))
    _, (unit,) = issue_labels(session, life.producer.user, life.batch, 1)
    bad = grow(new_life(make, session, ledger, name="小白菜"))
    open_recall(session, make.actor("inspector").user, bad.batch, "农药残留超标", ledger=ledger)
    session.commit()
    return {"batch": life.batch.trace_code, "batch_id": life.batch.id, "recalled": bad.batch.trace_code,
            "serial": unit.serial}


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with served("suyuan-browser-", _seed) as (base, app, seeded):
        yield Site(base=base, app=app, **seeded)


@pytest.fixture(scope="module")
def phone(site: Site) -> Iterator[tuple[Any, list[str]]]:
    """A phone-sized Chromium context with JavaScript off; every request not to our server is refused."""
    sync_api = pytest.importorskip("playwright.sync_api")
    OUT.mkdir(exist_ok=True)
    ours = urlsplit(site.base).netloc
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == ours:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="zh-CN", user_agent=WECHAT_UA,
                                      java_script_enabled=False)
        context.route("**/*", guard)
        try:
            yield context, outside
        finally:
            context.close()
            browser.close()


def _fits_the_screen(page: Any) -> None:
    for selector in ("main", "#timeline", "#inspections table", "#feedback form"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (selector, box)


def test_the_page_on_a_phone_timeline_language_switch_and_feedback(site: Site, phone: Any) -> None:
    context, outside = phone
    page = context.new_page()
    response = page.goto(f"{site.base}/T/{site.batch}")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#timeline li").count() == 10
    assert page.locator("#timeline li").first.inner_text().startswith(page.locator("#timeline time").first.inner_text())
    assert "种植/育苗/投苗" in page.locator("#timeline").inner_text()
    assert page.locator("#product .mark").inner_text() == "✓ 已验证"
    assert page.get_by_role("alert").count() == 0
    _fits_the_screen(page)
    page.screenshot(path=str(OUT / "lookup-zh.png"), full_page=True)

    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{site.base}/T/{site.batch}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#timeline h2").inner_text() == "Timeline"
    assert "Planting" in page.locator("#timeline").inner_text()
    _fits_the_screen(page)
    page.screenshot(path=str(OUT / "lookup-en.png"), full_page=True)

    page.get_by_label("4 stars").check()
    page.get_by_label("Message").fill("Fresh and sweet.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{site.base}/T/{site.batch}/feedback?sent=1&lang=en")
    assert "Thank you! The producer and the inspectors will see your feedback." in page.content()
    page.screenshot(path=str(OUT / "lookup-feedback-sent.png"), full_page=True)
    with site.app.app_context():
        rows = db.session.execute(sa.select(Feedback.kind, Feedback.rating, Feedback.text, Feedback.lang)
                                  .where(Feedback.batch_id == site.batch_id)).all()
    assert [tuple(r) for r in rows] == [("rating", 4, "Fresh and sweet.", "en")]

    page.goto(f"{site.base}/T/{site.batch}")  # the choice is remembered (a cookie), over the phone's zh-CN
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(f"{site.base}/T/{site.batch}?lang=zh")
    page.goto(f"{site.base}/T/{site.batch}")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert [(c["name"], c["value"], c["sameSite"]) for c in context.cookies()] == [("lang", "zh", "Lax")]
    page.close()
    assert outside == []


def test_a_recalled_batch_shows_its_banner_first(site: Site, phone: Any) -> None:
    context, outside = phone
    page = context.new_page()
    assert page.goto(f"{site.base}/t/{site.recalled.lower()}").status == 200
    banner = page.get_by_role("alert")
    assert banner.count() == 1
    assert "此批次已召回，请勿食用或销售。" in banner.inner_text() and "农药残留超标" in banner.inner_text()
    banner_box, product_box = banner.bounding_box(), page.locator("#product").bounding_box()
    assert banner_box["y"] < product_box["y"] and banner_box["y"] < 844  # seen without scrolling
    page.screenshot(path=str(OUT / "lookup-recalled.png"), full_page=False)
    page.close()
    assert outside == []


def test_a_unit_page_counts_each_visit(site: Site, phone: Any) -> None:
    context, outside = phone
    page = context.new_page()
    page.goto(f"{site.base}/T/{site.serial}")
    assert "查询次数 1" in " ".join(page.locator("#scans").inner_text().split())
    page.goto(f"{site.base}/T/{site.serial}")
    assert "查询次数 2" in " ".join(page.locator("#scans").inner_text().split())
    page.screenshot(path=str(OUT / "lookup-unit.png"), full_page=True)
    page.close()
    assert outside == []
