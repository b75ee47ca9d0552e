"""One's API tokens and the organization's scanner devices in the console."""

from __future__ import annotations

import base64
import re

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.console.helpers import csrf_of, field_errors, make_account, sign_in
from trace.models import AccountEvent, ApiToken, Device


def _secret(html: str) -> str:
    found = re.search(r'id="secret">([^<]+)<', html)
    assert found, html
    return found.group(1)


def _public_key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def test_a_token_made_in_the_console_works_shows_its_last_use_and_can_be_revoked(client, make, session):
    user = make_account(make, "producer")
    sign_in(client, user.username)
    page = client.get("/console/tokens")
    empty = client.post("/console/tokens", data={"csrf_token": csrf_of(page.text), "name": ""})
    assert empty.status_code == 422 and field_errors(empty.text, "name") == ["此项为必填项。"]
    assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0
    made = client.post("/console/tokens", data={"csrf_token": csrf_of(page.text), "name": "仓库电脑"})
    secret = _secret(made.text)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json["user"]["id"] == user.id
    token = session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    row = re.search(rf'<tr id="token-{token.id}">(.*?)</tr>', client.get("/console/tokens").text, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[0] == "仓库电脑" and secret[:10] in cells[1]
    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", cells[3]), cells  # its last use
    client.post(f"/console/tokens/{token.id}/revoke", data={"csrf_token": csrf_of(page.text)})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = session.scalars(sa.select(AccountEvent.action).where(AccountEvent.user_id == user.id)).all()
    assert {"token_created", "token_revoked"} <= set(actions)


def test_someone_elses_token_cannot_be_revoked(client, make, session):
    owner = make_account(make, "producer")
    other = make_account(make, "producer")
    from trace.services.organizations.organizations import issue_token

    token, secret = issue_token(session, None, owner, "mine")
    session.commit()
    sign_in(client, other.username)
    page = client.get("/console/tokens")
    refused = client.post(f"/console/tokens/{token.id}/revoke", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_an_enrolment_code_enrols_one_device_and_nothing_else(client, make, session):
    user = make_account(make, "producer")
    sign_in(client, user.username)
    page = client.get("/console/devices")
    shown = client.post("/console/devices", data={"csrf_token": csrf_of(page.text), "label": "仓库1号门"})
    assert shown.status_code == 200
    code = _secret(shown.text)
    assert f"--token {code}" in shown.text
    bearer = {"Authorization": f"Bearer {code}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 401  # it can do nothing else
    enrolled = client.post("/api/v1/devices", headers=bearer, json={"name": "gate-1", "publicKey": _public_key()})
    assert enrolled.status_code == 201, enrolled.json
    again = client.post("/api/v1/devices", headers=bearer, json={"name": "gate-2", "publicKey": _public_key()})
    assert again.status_code == 401  # used up
    device = session.scalar(sa.select(Device).where(Device.organization_id == user.organization_id))
    listing = client.get("/console/devices")
    assert f'id="device-{device.id}"' in listing.text and "gate-1" in listing.text


def test_revoking_a_device_needs_a_reason_beside_the_field(client, make, session):
    user = make_account(make, "producer")
    sign_in(client, user.username)
    page = client.get("/console/devices")
    code = _secret(client.post("/console/devices", data={"csrf_token": csrf_of(page.text), "label": "x"}).text)
    client.post("/api/v1/devices", headers={"Authorization": f"Bearer {code}"},
                json={"name": "gate-9", "publicKey": _public_key()})
    device = session.scalar(sa.select(Device).where(Device.organization_id == user.organization_id))
    refused = client.post(f"/console/devices/{device.id}/revoke", data={"csrf_token": csrf_of(page.text),
                                                                        "reason": " "})
    assert refused.status_code == 422 and field_errors(refused.text, "reason") == ["此项为必填项。"]
    session.expire_all()
    assert session.get(Device, device.id).key.revoked_at is None
    done = client.post(f"/console/devices/{device.id}/revoke", data={"csrf_token": csrf_of(page.text),
                                                                     "reason": "丢失"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Device, device.id).key.revoked_at is not None
    assert session.scalar(sa.select(AccountEvent).where(AccountEvent.action == "device_revoked")) is not None


def test_inspectors_and_labs_have_no_devices_page(client, make):
    for role in ("inspector", "lab"):
        user = make_account(make, role)
        sign_in(client, user.username)
        assert client.get("/console/devices").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_of(client.get("/console/").text)})
