"""The console in Debian's Chromium against a live server, JavaScript off, at 390 px and 1280 px.

Screenshots of every page walked are kept in test-output/console/ (the lookup tests keep theirs in
test-output/). No request may leave the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.console.helpers import PASSWORD, make_account
from tests.factories import Factory
from tests.helpers import BROWSER_MARKS, launch_chromium, served
from trace.config import REPO_ROOT
from trace.db import db
from trace.models import User
from trace.services.organizations.accounts import LOCK_AFTER

OUT = REPO_ROOT / "test-output" / "console"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}

pytestmark = BROWSER_MARKS


@dataclass
class Site:
    base: str
    app: Flask
    users: dict[str, str]  # role or purpose -> username


def _seed(app: Flask) -> dict[str, str]:
    # Many sign-ins from one address in a minute: the per-address limit is not what these tests check.
    app.config["TRACE"] = app.config["TRACE"].with_(sign_in_rate_limit="1000/minute")
    make = Factory(db.session)
    return {name: make_account(make, role).username
            for name, role in (("admin", "admin"), ("producer", "producer"), ("unlucky", "producer"),
                               ("forgetful", "producer"), ("stale", "producer"))}


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with served("suyuan-console-browser-", _seed) as (base, app, users):
        yield Site(base=base, app=app, users=users)


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{fonts}</dir>
<cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium that also finds the project's Chinese font (static/fonts), so screenshots are legible
    on machines without CJK fonts; the pages themselves load no font."""
    sync_api = pytest.importorskip("playwright.sync_api")
    OUT.mkdir(parents=True, exist_ok=True)
    conf = tmp_path_factory.mktemp("fontconfig") / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=REPO_ROOT / "static" / "fonts", cache=conf.parent / "cache"))
    with pytest.MonkeyPatch.context() as patch:  # set before the Playwright driver starts: Chromium gets its env
        patch.setenv("FONTCONFIG_FILE", str(conf))
        playwright = sync_api.sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@contextmanager
def _context(browser: Any, site: Site, size: str = "phone") -> Iterator[Any]:
    """A fresh browser profile (no cookies) of that size, JavaScript off; requests elsewhere are refused."""
    ours, outside = urlsplit(site.base).netloc, []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", java_script_enabled=False,
                                  is_mobile=size == "phone", has_touch=size == "phone")
    context.route("**/*", guard)
    try:
        yield context
    finally:
        context.close()
    assert outside == []


def _shot(page: Any, name: str, width: int) -> None:
    main = page.locator("main").bounding_box()
    assert main is not None and main["x"] >= 0 and main["x"] + main["width"] <= width + 0.5, (name, main)
    page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)


def _sign_in(page: Any, site: Site, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{site.base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _user(site: Site, username: str) -> User:
    with site.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge(user)
        return user


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_landing_sign_in_and_out(site: Site, browser: Any, size: str) -> None:
    width = SIZES[size]["width"]
    with _context(browser, site, size) as context:
        page = context.new_page()
        assert page.goto(f"{site.base}/").status == 200
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("link", name="API 文档").count() == 1
        _shot(page, "landing", width)
        page.get_by_role("link", name="English").click()
        assert page.locator("h1").inner_text() == "Suyuan · farm product traceability"
        _shot(page, "landing-en", width)
        page.get_by_role("link", name="中文").click()
        page.get_by_role("link", name="登录").first.click()
        page.wait_for_url(f"{site.base}/login")
        _shot(page, "sign-in", width)
        _sign_in(page, site, site.users["producer"])
        page.wait_for_url(f"{site.base}/console/")
        assert site.users["producer"] in page.locator("main").inner_text()
        cookie = next(c for c in context.cookies() if c["name"] == "suyuan_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        _shot(page, "console-home", width)
        page.get_by_role("button", name="退出").click()
        page.wait_for_url(f"{site.base}/")
        assert page.goto(f"{site.base}/console/").url.startswith(f"{site.base}/login?next=")


def test_a_wrong_password_then_the_lockout(site: Site, browser: Any) -> None:
    username = site.users["unlucky"]
    with _context(browser, site) as context:
        page = context.new_page()
        _sign_in(page, site, username, "not the password")
        assert page.locator("#password-err").inner_text() == "用户名或密码不正确。"
        assert page.locator("#password").get_attribute("aria-invalid") == "true"
        _shot(page, "sign-in-wrong", 390)
        for attempt in range(LOCK_AFTER - 1):
            _sign_in(page, site, username, f"wrong {attempt}")
        assert "锁定至" in page.get_by_role("alert").first.inner_text()
        _sign_in(page, site, username, PASSWORD)  # the right one, while locked
        assert page.url.startswith(f"{site.base}/login") and "锁定至" in page.get_by_role("alert").first.inner_text()
        _shot(page, "sign-in-locked", 390)
    assert _user(site, username).locked_until is not None


def test_missing_or_stale_csrf_tokens_are_refused_and_change_nothing(site: Site, browser: Any) -> None:
    username = site.users["stale"]
    before = _user(site, username).password_hash
    change = {"current": PASSWORD, "password": "a brand new password", "confirm": "a brand new password"}
    with _context(browser, site) as context:
        page = context.new_page()
        _sign_in(page, site, username)
        missing = context.request.post(f"{site.base}/console/password", form=change)  # the session's cookie, no token
        assert missing.status == 400 and "没有保存任何内容" in missing.text()
        page.goto(f"{site.base}/console/password")
        other = context.new_page()  # the same browser signs out and in again in another tab
        other.goto(f"{site.base}/console/")
        other.get_by_role("button", name="退出").click()
        _sign_in(other, site, username)
        page.get_by_label("当前密码").fill(PASSWORD)  # the first tab's form now holds a stale token
        page.get_by_label("新密码", exact=True).fill(change["password"])
        page.get_by_label("再次输入新密码").fill(change["password"])
        page.get_by_role("button", name="修改密码").click()
        assert page.locator("h1").inner_text() == "表单未被接受"
        _shot(page, "csrf-refused", 390)
    assert _user(site, username).password_hash == before


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_an_api_token_is_created_used_and_revoked(site: Site, browser: Any, size: str) -> None:
    width = SIZES[size]["width"]
    with _context(browser, site, size) as context:
        page = context.new_page()
        _sign_in(page, site, site.users["producer"])
        page.get_by_role("link", name="API 令牌").first.click()
        page.get_by_role("button", name="创建令牌").click()  # empty: refused beside the field
        assert page.locator("#name-err").inner_text() == "此项为必填项。"
        _shot(page, "tokens-refused", width)
        page.get_by_label("令牌用途").fill(f"仓库电脑 {size}")
        page.get_by_role("button", name="创建令牌").click()
        secret = page.locator("#secret").inner_text()
        _shot(page, "token-created", width)
        bearer = {"Authorization": f"Bearer {secret}"}
        assert context.request.get(f"{site.base}/api/v1/me", headers=bearer).status == 200
        page.get_by_role("link", name="返回").click()
        row = page.locator("#tokens tr", has_text=f"仓库电脑 {size}")
        assert "正常" in row.inner_text() and "从未" not in row.inner_text()  # its last use is shown
        _shot(page, "tokens", width)
        row.get_by_role("button", name="吊销").click()
        assert "已吊销" in page.locator("#tokens tr", has_text=f"仓库电脑 {size}").inner_text()
        assert context.request.get(f"{site.base}/api/v1/me", headers=bearer).status == 401


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_an_administrator_resets_a_password(site: Site, browser: Any, size: str) -> None:
    width, username = SIZES[size]["width"], site.users["forgetful"]
    with _context(browser, site, size) as admin_context, _context(browser, site, size) as user_context:
        admin = admin_context.new_page()
        _sign_in(admin, site, site.users["admin"])
        admin.get_by_role("link", name="用户").first.click()
        _shot(admin, "admin-users", width)
        admin.get_by_role("link", name=username, exact=True).click()
        _shot(admin, "admin-user", width)
        admin.get_by_role("button", name="重置密码").click()
        password = admin.locator("#secret").inner_text()
        _shot(admin, "admin-reset", width)
        admin.get_by_role("link", name="账户日志").click()
        assert "密码已重置" in admin.locator("main").inner_text()
        _shot(admin, "admin-log", width)
        user = user_context.new_page()
        _sign_in(user, site, username, password)
        user.wait_for_url(f"{site.base}/console/password")  # must choose a new password first
        assert user.get_by_role("alert").count() == 0 or "重置" in user.locator("main").inner_text()
        new = f"my own new password {size}"
        user.get_by_label("当前密码").fill(password)
        user.get_by_label("新密码", exact=True).fill(new)
        user.get_by_label("再次输入新密码").fill(new)
        user.get_by_role("button", name="修改密码").click()
        assert user.locator("h1").inner_text() == "密码已修改"
        _shot(user, "password-changed", width)
    assert not _user(site, username).must_change_password
