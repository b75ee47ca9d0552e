"""Who vouches, in Debian's Chromium at 390 px: sources' lab results through lineage, and a recall that leads.

Screenshots (Chinese and English) are kept in a temporary directory, printed at the end of each test (-s).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.factories import Factory
from tests.helpers import BROWSER_MARKS, launch_chromium, served
from trace.db import db
from trace.services.lineage.recalls import open_recall
from trace.services.records.events import record_event, record_transformation

LAB = "松阳县农产品质量安全检测站"
RESIDUE = [{"item": "毒死蜱", "method": "GB 23200.113", "limit": "0.02", "measured": "0.003", "unit": "mg/kg",
            "result": "pass"}]

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base: str
    leaf: str  # tested by the laboratory on the producer's request
    packed: str  # made from the leaf: shows the leaf's result
    recalled: str  # made from a second leaf that was then recalled


def _record(session: Any, user: Any, ledger: Any, stage: str, batches: list[Any], data: dict[str, Any],
            hours: float) -> str:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    event, _ = record_event(session, user, {"id": uuid.uuid4(), "stage": stage, "occurred_at": when, "attachments": [],
                                            "batches": [b.trace_code for b in batches], "data": data}, ledger=ledger)
    session.commit()
    return str(event.id)


def _process(session: Any, user: Any, ledger: Any, leaf: Any, product: Any, lot: str) -> Any:
    event, _ = record_transformation(session, user, {
        "id": uuid.uuid4(), "stage": "processing", "occurred_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        "data": {"method": "杀青、揉捻、烘干"},
        "inputs": [{"batch": leaf.trace_code, "quantity": leaf.quantity, "uom": leaf.uom}],
        "outputs": [{"product": product.id, "lot": lot, "quantity": Decimal("20"), "uom": "KGM"}]}, ledger=ledger)
    session.commit()
    return next(line.batch for line in event.batches if line.role == "output")


def _seed(app: Flask) -> dict[str, str]:
    ledger, session = app.extensions["trace.ledger"], db.session
    make = Factory(session)
    producer = make.actor("producer")
    lab = make.actor("lab", make.org("inspection_agency", name=LAB))
    inspector = make.actor("inspector", make.org("authority", name="松阳县农业农村局"))
    leaf_product = make.product(producer, "tea", name="茶青")
    packed_product = make.product(producer, "tea", name="松阳银猴绿茶")
    made = []
    for lot in ("LEAF-1", "LEAF-2"):
        leaf = make.batch(producer, leaf_product, quantity="100", lot=lot)
        asked = _record(session, producer.user, ledger, "test_request", [leaf],
                        {"laboratory": lab.org.id, "items": ["毒死蜱"]}, 30)
        _record(session, lab.user, ledger, "inspection", [leaf],
                {"items": RESIDUE, "result": "pass", "reportNumber": f"SY-{lot}", "request": asked}, 20)
        made.append((leaf, _process(session, producer.user, ledger, leaf, packed_product, f"P-{lot}")))
    (leaf, packed), (bad_leaf, recalled) = made
    open_recall(session, inspector.user, bad_leaf, "农药残留超标", ledger=ledger)
    session.commit()
    return {"leaf": leaf.trace_code, "packed": packed.trace_code, "recalled": recalled.trace_code}


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with served("suyuan-quality-browser-", _seed) as (base, app, seeded):
        yield Site(base=base, **seeded)


@contextmanager
def phone(base: str) -> Iterator[Any]:
    """A 390 px phone in Chromium with JavaScript off; requests not to our server are refused (and failed on)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ours, outside = urlsplit(base).netloc, []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="zh-CN", java_script_enabled=False)
        context.route("**/*", guard)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
    assert outside == []


@pytest.fixture(scope="module")
def shots() -> Path:
    """A temporary directory the screenshots stay in after the run, to look at."""
    return Path(tempfile.mkdtemp(prefix="suyuan-quality-shots-"))


def _visible(page: Any) -> str:
    return " ".join(page.locator("body").inner_text().split())


def _fits(page: Any) -> None:
    for selector in ("main", "#source-inspections", "#source-inspections table"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (selector, box)


def test_a_processed_product_shows_its_sources_lab_results(site: Site, shots: Path) -> None:
    with phone(site.base) as page:
        assert page.goto(f"{site.base}/t/{site.packed}").status == 200
        text = _visible(page)
        for expected in ("原料检测", site.leaf, "委托检测", f"检测机构：{LAB}", "毒死蜱", "检测机构：", "签名："):
            assert expected in text, expected
        assert page.locator("#product .mark").inner_text() == "✓ 已验证"
        assert page.get_by_role("alert").count() == 0
        _fits(page)
        page.screenshot(path=str(shots / "quality-lineage-zh.png"), full_page=True)
        assert page.goto(f"{site.base}/t/{site.packed}?lang=en").status == 200
        text = _visible(page)
        for expected in ("Source batch results", site.leaf, "Commissioned test", f"Tested by: {LAB}", "Signed by"):
            assert expected in text, expected
        _fits(page)
        page.screenshot(path=str(shots / "quality-lineage-en.png"), full_page=True)
    print(f"screenshots: {shots}")


def test_a_recalled_source_leads_and_the_mark_is_no_safety_claim(site: Site, shots: Path) -> None:
    with phone(site.base) as page:
        for lang, banner, mark, green in (
                ("zh", "此批次已召回，请勿食用或销售。", "记录完整，但不代表安全：请看上方警示", "✓ 已验证"),
                ("en", "This batch has been recalled. Do not eat or sell it.",
                 "Records intact, but not safe: see the warning above", "✓ Verified")):
            assert page.goto(f"{site.base}/t/{site.recalled}?lang={lang}").status == 200
            alert = page.get_by_role("alert")
            assert alert.count() == 1 and banner in alert.inner_text()
            shown = page.locator("#product .mark")
            assert shown.inner_text() == mark != green
            assert "ok" not in (shown.get_attribute("class") or "").split()
            assert alert.bounding_box()["y"] < shown.bounding_box()["y"] < 844  # the recall comes first, unscrolled
            assert "原料检测" in _visible(page) or "Source batch results" in _visible(page)
            page.screenshot(path=str(shots / f"quality-recall-{lang}.png"), full_page=True)
    print(f"screenshots: {shots}")
