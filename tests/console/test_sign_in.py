"""The landing page, signing in and out, lockout, CSRF refusals and one's own password."""

from __future__ import annotations

import sqlalchemy as sa

from tests.console.helpers import PASSWORD, alerts, csrf_of, field_errors, make_account, sign_in
from trace.models import AccountEvent, User
from trace.services.organizations.accounts import LOCK_AFTER


def _events(session, user, action):
    return session.scalars(sa.select(AccountEvent).where(AccountEvent.user_id == user.id,
                                                         AccountEvent.action == action)).all()


def test_the_landing_page_is_chinese_with_search_sign_in_and_api_links(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "溯源 · 农产品质量安全追溯" in page.text
    assert 'action="/T"' in page.text and 'name="code"' in page.text
    assert 'href="/login"' in page.text and 'href="/api/v1/docs"' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'sha256-") and "script" not in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Suyuan · farm product traceability" in english.text
    client.get("/?lang=zh")


def test_signing_in_sets_a_safe_session_cookie_and_opens_the_console(client, make):
    user = make_account(make)
    response = sign_in(client, user.username)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("suyuan_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie  # the test public URL is https
    home = client.get("/console/")
    assert home.status_code == 200 and user.username in home.text and user.organization.name in home.text


def test_the_console_sends_visitors_to_sign_in_and_back(client, make):
    assert client.get("/console/").headers["Location"] == "/login?next=/console/"
    user = make_account(make)
    token = csrf_of(client.get("/login").text)
    after = client.post("/login?next=/console/password",
                        data={"csrf_token": token, "username": user.username, "password": PASSWORD})
    assert after.headers["Location"] == "/console/password"
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/console/").text)})
    token = csrf_of(client.get("/login").text)
    away = client.post("/login?next=//evil.example/x",
                       data={"csrf_token": token, "username": user.username, "password": PASSWORD})
    assert away.headers["Location"] == "/console/"


def test_a_wrong_password_is_said_beside_the_field_and_counted(client, make, session):
    user = make_account(make)
    response = sign_in(client, user.username, "not the password")
    assert response.status_code == 422
    assert field_errors(response.text, "password") == ["用户名或密码不正确。"]
    assert client.get("/console/").status_code == 302
    session.expire_all()
    assert session.get(User, user.id).failed_logins == 1
    assert len(_events(session, user, "sign_in_failed")) == 1
    unknown = sign_in(client, "nobody-here", "not the password")
    assert field_errors(unknown.text, "password") == ["用户名或密码不正确。"]  # the same words: no user listing


def test_repeated_failures_lock_the_account_even_against_the_right_password(client, make, session):
    user = make_account(make)
    for attempt in range(LOCK_AFTER):
        response = sign_in(client, user.username, f"wrong {attempt}")
    assert response.status_code == 422
    assert "锁定至" in alerts(response.text)[0]
    right = sign_in(client, user.username, PASSWORD)
    assert right.status_code == 422 and "锁定至" in alerts(right.text)[0]
    assert client.get("/console/").status_code == 302
    session.expire_all()
    locked = session.get(User, user.id)
    assert locked.failed_logins == LOCK_AFTER and locked.locked_until is not None
    assert len(_events(session, user, "sign_in_locked")) == 1


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, make, session):
    user = make_account(make)
    refused = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert refused.status_code == 400
    assert "没有保存任何内容" in refused.text
    assert client.get("/console/").status_code == 302  # not signed in
    assert sign_in(client, user.username).status_code == 302
    before = session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    refused = client.post("/console/password", data={"current": PASSWORD, "password": "another long password",
                                                     "confirm": "another long password"})
    assert refused.status_code == 400
    session.expire_all()
    assert session.scalar(sa.select(User.password_hash).where(User.id == user.id)) == before


def test_a_stale_csrf_token_from_an_earlier_session_is_refused(client, make, session, app):
    user = make_account(make)
    sign_in(client, user.username)
    stale = csrf_of(client.get("/console/password").text)
    client.post("/logout", data={"csrf_token": stale})
    sign_in(client, user.username)  # a new session: forms from before are stale
    before = session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    refused = client.post("/console/password", data={"csrf_token": stale, "current": PASSWORD,
                                                     "password": "another long password",
                                                     "confirm": "another long password"})
    assert refused.status_code == 400 and "表单未被接受" in refused.text
    session.expire_all()
    assert session.scalar(sa.select(User.password_hash).where(User.id == user.id)) == before


def test_signing_out_needs_a_post_with_its_token(client, make):
    user = make_account(make)
    sign_in(client, user.username)
    assert client.get("/logout").status_code == 405
    assert client.get("/console/").status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_of(client.get("/console/").text)})
    assert out.status_code == 302 and out.headers["Location"] == "/"
    assert client.get("/console/").status_code == 302


def test_changing_the_password_checks_the_current_one_and_signs_out_other_sessions(client, make, session, app):
    user = make_account(make)
    other = app.test_client()
    with app.app_context():
        sign_in(other, user.username)
    sign_in(client, user.username)
    form = client.get("/console/password")
    wrong = client.post("/console/password", data={"csrf_token": csrf_of(form.text), "current": "not it",
                                                   "password": "short", "confirm": "shorter"})
    assert wrong.status_code == 422
    assert field_errors(wrong.text, "password") == ["密码长度为 10 至 128 个字符。"]
    assert field_errors(wrong.text, "confirm") == ["两次输入的新密码不一致。"]
    wrong = client.post("/console/password", data={"csrf_token": csrf_of(form.text), "current": "not it",
                                                   "password": "another long password",
                                                   "confirm": "another long password"})
    assert field_errors(wrong.text, "current") == ["当前密码不正确。"]
    done = client.post("/console/password", data={"csrf_token": csrf_of(form.text), "current": PASSWORD,
                                                  "password": "another long password",
                                                  "confirm": "another long password"})
    assert done.status_code == 200 and "密码已修改" in done.text
    assert client.get("/console/").status_code == 200  # this session goes on
    with app.app_context():
        assert other.get("/console/").status_code == 302  # the other one is signed out
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/console/").text)})
    assert sign_in(client, user.username, PASSWORD).status_code == 422
    assert sign_in(client, user.username, "another long password").status_code == 302
