"""The consumer's first screen in Debian's Chromium at 390 px (JavaScript off), Chinese and English.

A batch page with its product photo, a recalled batch, a unit page with the copy warning and the
feedback form's rate-limit page. Screenshots stay in a temporary directory, printed at the end of
each test (-s), as the other browser tests keep theirs.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from PIL import Image

from tests.factories import Factory
from tests.helpers import BROWSER_MARKS, launch_chromium, served
from trace.db import db
from trace.services.catalog.catalog import change_product
from trace.services.lineage.recalls import open_recall
from trace.services.printing.labels import issue_labels
from trace.services.records.attachments import store_attachment
from trace.services.records.events import record_event

pytestmark = BROWSER_MARKS
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    base: str
    batch: str
    recalled: str
    serial: str
    product: str


def _photo() -> bytes:
    image = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _seed(app: Flask) -> dict[str, str]:
    ledger, session = app.extensions["trace.ledger"], db.session
    make = Factory(session)
    producer = make.actor("producer", make.org("cooperative", name="大东坝高山蔬菜专业合作社"))
    product = make.product(producer, "vegetables", name="高山番茄")
    sha = store_attachment(session, Path(app.instance_path), producer.user, "tomato.jpg", "image/jpeg", _photo()).sha256
    change_product(session, producer.user, product.id, {"photo": sha, "name_en": "Highland tomatoes"}, ledger=ledger)
    session.commit()
    batches = []
    for lot in ("V-1", "V-2"):
        batch = make.batch(producer, product, quantity="2500", lot=lot)
        planting = {"plot": "石仓村大棚7号", "variety": "浙粉702", "area": "3.5", "areaUnit": "MU"}
        for hours, stage, data in ((60, "planting", planting), (30, "harvest", {"quantity": "2500", "uom": "KGM"})):
            record_event(session, producer.user, {
                "id": uuid.uuid4(), "stage": stage, "batches": [batch.trace_code], "attachments": [], "data": data,
                "occurred_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)}, ledger=ledger)
        batches.append(batch)
    session.commit()
    good, bad = batches
    open_recall(session, make.actor("inspector").user, bad, "吡虫啉超标", ledger=ledger)
    _, (unit,) = issue_labels(session, producer.user, good, 1)
    session.commit()
    app.config["TRACE"] = app.config["TRACE"].with_(feedback_rate_limit="1/minute", counterfeit_threshold=2)
    return {"batch": good.trace_code, "recalled": bad.trace_code, "serial": unit.serial, "product": product.name}


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with served("suyuan-first-screen-", _seed) as (base, _app, seeded):
        yield Site(base=base, **seeded)


@pytest.fixture(scope="module")
def shots() -> Path:
    """A temporary directory the screenshots stay in after the run, to look at."""
    return Path(tempfile.mkdtemp(prefix="suyuan-first-screen-shots-"))


@contextmanager
def phone(base: str) -> Iterator[tuple[Any, list[tuple[str, int]]]]:
    """A 390 px phone, JavaScript off; requests elsewhere are refused (and failed on); our answers are listed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ours, outside, answers = urlsplit(base).netloc, [], []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="zh-CN", java_script_enabled=False)
        context.route("**/*", guard)
        page = context.new_page()
        page.on("response", lambda r: answers.append((urlsplit(r.url).path, r.status)))
        try:
            yield page, answers
        finally:
            context.close()
            browser.close()
    assert outside == []


def _on_first_screen(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["y"] + min(box["height"], 40) <= PHONE["height"], (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (selector, box)


def test_the_first_screen_shows_product_photo_producer_origin_and_verdict(site: Site, shots: Path) -> None:
    with phone(site.base) as (page, answers):
        for lang, words in (("zh", ("高山番茄", "大东坝高山蔬菜专业合作社", "✓ 已验证", "产地地块")),
                            ("en", ("Highland tomatoes", "Producer", "✓ Verified", "Origin plot"))):
            assert page.goto(f"{site.base}/t/{site.batch}?lang={lang}").status == 200
            page.wait_for_load_state("networkidle")
            for selector in ("#product h1", ".hero img", "#product .mark", "#product dl dt:first-of-type",
                             "#product dl dd:nth-of-type(2)"):
                _on_first_screen(page, selector)
            first_screen = page.locator("#product").inner_text()
            for word in words:
                assert word in first_screen, (lang, word)
            assert any(path.startswith("/photos/") and path.endswith(".webp") and status == 200
                       for path, status in answers), answers
            page.screenshot(path=str(shots / f"batch-photo-{lang}.png"))
            page.screenshot(path=str(shots / f"batch-photo-{lang}-full.png"), full_page=True)
    print(f"screenshots: {shots}")


def test_a_recalled_batch_leads_with_the_recall_and_shows_no_tick(site: Site, shots: Path) -> None:
    with phone(site.base) as (page, _):
        for lang, banner in (("zh", "此批次已召回"), ("en", "This batch has been recalled")):
            assert page.goto(f"{site.base}/t/{site.recalled}?lang={lang}").status == 200
            alert = page.get_by_role("alert")
            assert banner in alert.first.inner_text()
            assert "✓" not in page.locator("body").inner_text()
            assert alert.first.bounding_box()["y"] < page.locator("#product .mark").bounding_box()["y"] < 844
            page.screenshot(path=str(shots / f"recalled-{lang}.png"), full_page=True)
    print(f"screenshots: {shots}")


def test_a_unit_page_warns_about_copies_and_shows_one_unit(site: Site, shots: Path) -> None:
    for _ in range(3):  # scans elsewhere: past the threshold of 2
        with urlopen(Request(f"{site.base}/T/{site.serial}", headers={"Accept": "application/json"})) as answer:
            assert answer.status == 200
    with phone(site.base) as (page, _):
        for lang, warning, one in (("zh", "注意：此码已被查询", "1 件（整批 2500 千克）"),
                                   ("en", "Caution: this code has been looked up", "One unit; the whole batch")):
            assert page.goto(f"{site.base}/T/{site.serial}?lang={lang}").status == 200
            alert = page.locator(".alert.warn")
            assert warning in alert.inner_text() and one in page.locator("#product").inner_text()
            _on_first_screen(page, ".alert.warn")
            page.screenshot(path=str(shots / f"unit-copy-warning-{lang}.png"), full_page=True)
    print(f"screenshots: {shots}")


def test_the_feedback_rate_limit_page_keeps_the_text_and_leads_back(site: Site, shots: Path) -> None:
    with phone(site.base) as (page, _):
        for lang, message, back in (("zh", "多次提交了反馈", "返回产品页"),
                                    ("en", "You have sent feedback several times", "Back to the product page")):
            typed = "包装破损，番茄压坏了" if lang == "zh" else "The box was crushed"
            for _ in range(2):  # the limit is one a minute: the second is refused
                assert page.goto(f"{site.base}/t/{site.batch}?lang={lang}").status == 200
                page.locator("#fb-text").fill(typed)
                page.locator("#feedback button[type=submit]").click()
            assert page.locator("#fb-text").input_value() == typed  # what was typed is kept
            assert message in page.locator("main").inner_text()
            assert "查询过于频繁" not in page.locator("main").inner_text()
            link = page.get_by_role("link", name=back)
            assert link.count() == 1
            page.screenshot(path=str(shots / f"feedback-rate-limit-{lang}.png"), full_page=True)
            link.click()
            assert page.locator("#product h1").count() == 1  # back on the product page
    print(f"screenshots: {shots}")
