"""Whole flows in Debian's Chromium against a live server, JavaScript off, at 390 px and 1280 px.

A producer registers a batch and records planting, harvest and a test request; the laboratory enters
the result; the producer issues a 合格证 and ships to a retailer; the lookup page shows the result.
An inspector finds the batch, recalls it; the retailer answers; the lookup page shows the recall.
Screenshots are kept in test-output/console-flows/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests.console.helpers import PASSWORD, make_account
from tests.factories import Actor, Factory
from tests.helpers import BROWSER_MARKS, launch_chromium, served
from trace.config import REPO_ROOT
from trace.db import db

OUT = REPO_ROOT / "test-output" / "console-flows"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base: str
    app: Flask
    users: dict[str, str]
    orgs: dict[str, int]


def _seed(app: Flask) -> tuple[dict[str, str], dict[str, int]]:
    app.config["TRACE"] = app.config["TRACE"].with_(sign_in_rate_limit="1000/minute")
    make = Factory(db.session)
    users = {role: make_account(make, role) for role in ("producer", "lab", "inspector")}
    users["retailer"] = make_account(make, "producer", org=make.org("retailer", name="松阳生鲜超市"))
    make.product(Actor(users["producer"], ""), category="vegetables", name="高山番茄")
    db.session.commit()
    return ({k: u.username for k, u in users.items()}, {k: u.organization_id for k, u in users.items()})


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with served("suyuan-console-flows-", _seed) as (base, app, (users, orgs)):
        yield Site(base=base, app=app, users=users, orgs=orgs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Any, site: Site, size: str) -> Any:
    context = browser.new_context(viewport=SIZES[size], java_script_enabled=False, locale="zh-CN")
    outside: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site.base)
                  else (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    page.outside = outside
    return page


def _sign_in(page: Any, site: Site, who: str) -> None:
    page.goto(f"{site.base}/login")
    page.fill("#username", site.users[who])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url.endswith("/console/"), page.url


def _sign_out(page: Any) -> None:
    page.click("header form button")


def _shot(page: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _record(page: Any, site: Site, code: str, stage: str, when: str, fields: dict[str, str],
            choices: dict[str, str] | None = None) -> None:
    page.goto(f"{site.base}/console/batches/{code}/record/{stage}")
    page.fill("#occurredAt", when)
    for name, value in fields.items():
        page.fill(f'[name="{name}"]', value)
    for name, value in (choices or {}).items():
        page.select_option(f'[name="{name}"]', value)
    page.click("main button[type=submit]")
    assert page.url.endswith(f"/console/batches/{code}"), (stage, page.inner_text("main"))


@pytest.mark.parametrize("size", list(SIZES))
def test_from_planting_to_the_shelf_and_a_recall(browser: Any, site: Site, size: str) -> None:
    page = _page(browser, site, size)
    _sign_in(page, site, "producer")
    page.goto(f"{site.base}/console/batches/new")
    page.select_option("#product", label="高山番茄")
    page.fill("#lot", f"FT-{size}")
    page.fill("#quantity", "500")
    page.select_option("#uom", "KGM")
    page.fill("#origin", "竹源乡 7 号地块")
    page.fill("#producedAt", "2026-11-25T07:30")
    _shot(page, f"{size}-register")
    page.click("main button[type=submit]")
    code = page.url.rsplit("/", 1)[1]
    _record(page, site, code, "planting", "2026-11-01T08:00",
            {"data.plot": "竹源乡 7 号地块", "data.variety": "浙粉 702", "extra.greenhouse": "A-07"})
    _record(page, site, code, "harvest", "2026-11-25T07:30", {"data.quantity": "500", "data.method": "人工采摘"},
            {"data.uom": "KGM"})
    _record(page, site, code, "test_request", "2026-11-25T09:00", {"data.items": "毒死蜱\n克百威"},
            {"data.laboratory": str(site.orgs["lab"])})
    _shot(page, f"{size}-batch")
    _sign_out(page)

    _sign_in(page, site, "lab")
    page.goto(f"{site.base}/console/lab/requests")
    page.click(f"tr:has-text('{code}') a.button")
    page.fill("#occurredAt", "2026-11-25T15:00")
    page.fill("#reportNumber", f"SY-{size}")
    for i, (limit, measured) in enumerate((("0.02", "0.004"), ("0.02", "0"))):
        page.fill(f'[name="limit_{i}"]', limit)
        page.fill(f'[name="measured_{i}"]', measured)
        page.fill(f'[name="unit_{i}"]', "mg/kg")
        page.select_option(f'[name="result_{i}"]', "pass")
    page.select_option("#result", "pass")
    _shot(page, f"{size}-lab-result")
    page.click("main button[type=submit]")
    assert page.url.endswith("/console/lab/requests")
    _sign_out(page)

    _sign_in(page, site, "producer")
    page.goto(f"{site.base}/console/batches/{code}/certificate")
    page.check('input[name="basis"][value="commissioned_test"]')
    page.click("main button[type=submit]")
    assert "#print" in page.url
    _record(page, site, code, "shipping", "2026-11-26T06:00", {}, {"data.recipient": str(site.orgs["retailer"])})
    _sign_out(page)

    page.goto(f"{site.base}/t/{code}")
    text = page.inner_text("body")
    assert "高山番茄" in text and "毒死蜱" in text and "合格" in text
    _shot(page, f"{size}-lookup")

    _sign_in(page, site, "inspector")
    page.goto(f"{site.base}/console/batches?q={code}")
    assert page.url.endswith(f"/console/batches/{code}")
    page.fill("#reason", "抽检发现农残超标")
    page.click("#open-recall button")
    assert "/console/recalls/" in page.url
    assert "松阳生鲜超市" in page.inner_text("#holders")
    _sign_out(page)

    _sign_in(page, site, "retailer")
    page.goto(f"{site.base}/console/recalls")
    page.select_option(".recall select[name=action]", "returned")
    page.fill(".recall input[name=note]", "已全部下架退回")
    _shot(page, f"{size}-recall-work")
    page.click(".recall button[type=submit]")
    _sign_out(page)

    _sign_in(page, site, "inspector")
    page.goto(f"{site.base}/console/recalls")
    assert "1 / 1" in page.inner_text("#recalls")
    page.goto(f"{site.base}/console/dashboard")
    _shot(page, f"{size}-dashboard")
    _sign_out(page)
    page.goto(f"{site.base}/t/{code}")
    assert "召回" in page.inner_text("body")
    _shot(page, f"{size}-lookup-recalled")
    assert page.outside == []
    page.context.close()
