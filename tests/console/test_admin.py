"""Administrators' pages: who may open them, creating users, roles, resetting a password, the account log."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.console.helpers import PASSWORD, csrf_of, field_errors, make_account, sign_in
from trace.models import AccountEvent, User
from trace.services.organizations.accounts import LOCK_AFTER


def _secret(html: str) -> str:
    found = re.search(r'id="secret">([^<]+)<', html)
    assert found, html
    return found.group(1)


def test_only_administrators_open_the_admin_pages(client, make):
    producer = make_account(make, "producer")
    sign_in(client, producer.username)
    for path in ("/console/admin/users", "/console/admin/log", f"/console/admin/users/{producer.id}"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "您的角色无权打开此页面" in page.text
    assert 'href="/console/admin/users"' not in client.get("/console/").text


def test_an_administrator_creates_a_user_who_must_choose_a_password(client, make, session):
    admin = make_account(make, "admin")
    org = make.org("cooperative")
    sign_in(client, admin.username)
    form = client.get("/console/admin/users")
    created = client.post("/console/admin/users", data={"csrf_token": csrf_of(form.text), "organization": org.id,
                                                        "username": "Clerk.Wang", "role": "producer"})
    assert created.status_code == 200, created.text
    password = _secret(created.text)
    taken = client.post("/console/admin/users", data={"csrf_token": csrf_of(form.text), "organization": org.id,
                                                      "username": "clerk.wang", "role": "producer"})
    assert taken.status_code == 422 and field_errors(taken.text, "username") == ["此用户名已被使用。"]
    misfit = client.post("/console/admin/users", data={"csrf_token": csrf_of(form.text), "organization": org.id,
                                                       "username": "lab.li", "role": "lab"})
    assert field_errors(misfit.text, "role") == ["此角色与组织类型不符。"]
    assert session.scalar(sa.select(User.id).where(User.username == "lab.li")) is None
    clerk = client.application.test_client()
    with client.application.app_context():
        assert sign_in(clerk, "clerk.wang", password).headers["Location"] == "/console/"
        assert clerk.get("/console/").headers["Location"] == "/console/password"  # must choose a new one first


def test_an_administrator_resets_a_locked_users_password(client, make, session):
    admin = make_account(make, "admin")
    user = make_account(make, "producer")
    other = client.application.test_client()
    with client.application.app_context():
        for attempt in range(LOCK_AFTER):
            sign_in(other, user.username, f"wrong {attempt}")
    sign_in(client, admin.username)
    page = client.get(f"/console/admin/users/{user.id}")
    assert 'id="locked"' in page.text
    reset = client.post(f"/console/admin/users/{user.id}/reset", data={"csrf_token": csrf_of(page.text)})
    assert reset.status_code == 200
    password = _secret(reset.text)
    session.expire_all()
    fresh = session.get(User, user.id)
    assert fresh.locked_until is None and fresh.failed_logins == 0 and fresh.must_change_password
    with client.application.app_context():
        assert sign_in(other, user.username, PASSWORD).status_code == 422
        assert sign_in(other, user.username, password).status_code == 302
    entry = session.scalar(sa.select(AccountEvent).where(AccountEvent.action == "password_reset",
                                                         AccountEvent.user_id == user.id))
    assert entry is not None and entry.actor_id == admin.id


def test_a_role_that_does_not_fit_the_organization_is_refused_beside_the_field(client, make, session):
    admin = make_account(make, "admin")
    user = make_account(make, "producer")
    sign_in(client, admin.username)
    page = client.get(f"/console/admin/users/{user.id}")
    refused = client.post(f"/console/admin/users/{user.id}/role", data={"csrf_token": csrf_of(page.text),
                                                                        "role": "station"})
    assert refused.status_code == 422 and field_errors(refused.text, "role") == ["此角色与组织类型不符。"]
    session.expire_all()
    assert session.get(User, user.id).role == "producer"
    changed = client.post(f"/console/admin/users/{user.id}/role", data={"csrf_token": csrf_of(page.text),
                                                                        "role": "inspector"})
    assert changed.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).role == "inspector"
    log = client.get("/console/admin/log")
    assert "更改角色" in log.text and "from: producer; to: inspector" in log.text


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(client, make, session):
    admin = make_account(make, "admin")
    user = make_account(make, "producer")
    other = client.application.test_client()
    with client.application.app_context():
        sign_in(other, user.username)
        assert other.get("/console/").status_code == 200
    sign_in(client, admin.username)
    page = client.get(f"/console/admin/users/{user.id}")
    client.post(f"/console/admin/users/{user.id}/disable", data={"csrf_token": csrf_of(page.text), "disabled": "1"})
    with client.application.app_context():
        assert other.get("/console/").status_code == 302
        assert sign_in(other, user.username).status_code == 422
