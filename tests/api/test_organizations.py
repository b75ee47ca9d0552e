"""Organizations, members and tokens through /api/v1."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.helpers import assert_problem
from trace.models import ApiToken, Organization, User

VALID_USCC = "91350100M000100Y43"


def org_body(**overrides):
    body = {
        "kind": "cooperative",
        "name": "松阳县测试合作社",
        "nameEn": "Test Co-op",
        "creditCode": VALID_USCC,
        "region": {"province": "浙江省", "county": "松阳县", "township": "新兴镇", "village": "横山村"},
        "contact": {"name": "李四", "phone": "+86 578 8000000"},
    }
    body.update(overrides)
    return body


def test_admin_registers_an_organization(client, make, session):
    admin = make.actor("admin")
    r = client.post("/api/v1/organizations", json=org_body(), headers=admin.headers)
    assert r.status_code == 201, r.json
    body = r.json
    assert r.headers["Location"] == f"/api/v1/organizations/{body['id']}"
    assert body["kind"] == "cooperative"
    assert body["creditCode"] == VALID_USCC
    assert body["region"] == {"province": "浙江省", "county": "松阳县", "township": "新兴镇", "village": "横山村",
                              "townshipCode": None, "villageCode": None}
    assert body["contact"] == {"name": "李四", "phone": "+86 578 8000000"}
    assert body["createdAt"].endswith("Z")
    stored = session.get(Organization, body["id"])
    assert (stored.name, stored.township) == ("松阳县测试合作社", "新兴镇")
    assert client.get(f"/api/v1/organizations/{body['id']}", headers=admin.headers).json == body


def test_duplicate_credit_code_is_a_conflict(client, make):
    admin = make.actor("admin")
    assert client.post("/api/v1/organizations", json=org_body(), headers=admin.headers).status_code == 201
    r = client.post("/api/v1/organizations", json=org_body(name="另一个"), headers=admin.headers)
    assert_problem(r, 409, "conflict", "creditCode")


def test_bad_credit_code_check_character_is_rejected(client, make):
    admin = make.actor("admin")
    bad = VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1")
    r = client.post("/api/v1/organizations", json=org_body(creditCode=bad), headers=admin.headers)
    assert_problem(r, 422, "validation", "creditCode")


def test_organization_needs_kind_and_region(client, make, session):
    admin = make.actor("admin")
    before = session.scalar(sa.select(sa.func.count()).select_from(Organization))
    r = client.post("/api/v1/organizations", json={"kind": "bank", "name": "x"}, headers=admin.headers)
    body = assert_problem(r, 422, "validation", "kind", "region")
    assert "region" in body["errors"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Organization)) == before


def test_unknown_organization_is_404(client, make):
    admin = make.actor("admin")
    assert_problem(client.get("/api/v1/organizations/999999", headers=admin.headers), 404, "not-found")


def test_list_organizations_includes_new_ones(client, make):
    producer = make.actor("producer")
    other = make.org(name="列表测试合作社")
    r = client.get("/api/v1/organizations", headers=producer.headers)
    assert r.status_code == 200
    ids = [o["id"] for o in r.json["items"]]
    assert other.id in ids and producer.org.id in ids
    assert ids == sorted(ids)


def test_me_describes_the_token_owner(client, make):
    producer = make.actor("producer")
    r = client.get("/api/v1/me", headers=producer.headers)
    assert r.status_code == 200
    assert r.json["user"]["id"] == producer.user.id
    assert r.json["user"]["role"] == "producer"
    assert r.json["organization"]["id"] == producer.org.id


def test_requests_without_a_good_token_are_401(client, make):
    r = client.get("/api/v1/me")
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer sy_nope"}), 401, "unauthenticated")
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="}), 401, "unauthenticated")
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Bearer "}), 401, "unauthenticated")


def test_admin_adds_members(client, make, session):
    admin = make.actor("admin")
    org = make.org()
    r = client.post(f"/api/v1/organizations/{org.id}/members", json={"name": "张三", "role": "producer"},
                    headers=admin.headers)
    assert r.status_code == 201, r.json
    assert r.json["organization"] == org.id
    assert r.json["role"] == "producer"
    user = session.get(User, r.json["id"])
    assert (user.name, user.organization_id) == ("张三", org.id)
    listed = client.get(f"/api/v1/organizations/{org.id}/members", headers=admin.headers)
    assert [m["name"] for m in listed.json["items"]] == ["张三"]


def test_member_names_are_unique_in_an_organization(client, make):
    admin = make.actor("admin")
    org = make.org()
    url = f"/api/v1/organizations/{org.id}/members"
    assert client.post(url, json={"name": "张三", "role": "producer"}, headers=admin.headers).status_code == 201
    assert_problem(client.post(url, json={"name": "张三", "role": "inspector"}, headers=admin.headers),
                   409, "conflict", "name")


def test_member_role_must_be_known(client, make):
    admin = make.actor("admin")
    org = make.org()
    r = client.post(f"/api/v1/organizations/{org.id}/members", json={"name": "x", "role": "root"},
                    headers=admin.headers)
    assert_problem(r, 422, "validation", "role")


def test_adding_a_member_to_a_missing_organization_is_404(client, make):
    admin = make.actor("admin")
    r = client.post("/api/v1/organizations/999999/members", json={"name": "x", "role": "producer"},
                    headers=admin.headers)
    assert_problem(r, 404, "not-found")


def test_members_are_private_to_their_organization(client, make):
    producer = make.actor("producer")
    stranger = make.actor("producer")
    assert client.get(f"/api/v1/organizations/{producer.org.id}/members", headers=producer.headers).status_code == 200
    assert_problem(client.get(f"/api/v1/organizations/{producer.org.id}/members", headers=stranger.headers),
                   403, "forbidden")


def test_issued_token_is_shown_once_and_authenticates(client, make, session):
    admin = make.actor("admin")
    producer = make.actor("producer")
    url = f"/api/v1/organizations/{producer.org.id}/members/{producer.user.id}/tokens"
    r = client.post(url, json={"name": "scanner"}, headers=admin.headers)
    assert r.status_code == 201, r.json
    assert r.headers["Cache-Control"] == "no-store"
    secret = r.json["token"]
    assert secret.startswith("sy_") and r.json["prefix"] == secret[:10]
    assert r.json["user"] == producer.user.id
    stored = session.get(ApiToken, r.json["id"])
    assert secret not in (stored.token_hash, stored.prefix)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json["user"]["id"] == producer.user.id


def test_member_issues_a_token_for_themself_but_not_for_a_colleague(client, make):
    producer = make.actor("producer")
    colleague = make.actor("producer", producer.org)
    own = f"/api/v1/organizations/{producer.org.id}/members/{producer.user.id}/tokens"
    theirs = f"/api/v1/organizations/{producer.org.id}/members/{colleague.user.id}/tokens"
    assert client.post(own, json={"name": "phone"}, headers=producer.headers).status_code == 201
    assert_problem(client.post(theirs, json={"name": "phone"}, headers=producer.headers), 403, "forbidden")


def test_token_for_a_member_of_another_organization_path_is_404(client, make):
    admin = make.actor("admin")
    producer = make.actor("producer")
    elsewhere = make.org()
    r = client.post(f"/api/v1/organizations/{elsewhere.id}/members/{producer.user.id}/tokens",
                    json={"name": "x"}, headers=admin.headers)
    assert_problem(r, 404, "not-found")


def test_token_needs_a_name(client, make):
    producer = make.actor("producer")
    r = client.post(f"/api/v1/organizations/{producer.org.id}/members/{producer.user.id}/tokens",
                    json={}, headers=producer.headers)
    assert_problem(r, 422, "validation", "name")


def test_revoked_token_no_longer_authenticates(client, make):
    producer = make.actor("producer")
    token_id = producer.user.tokens[0].id
    r = client.delete(f"/api/v1/tokens/{token_id}", headers=producer.headers)
    assert r.status_code == 200, r.json
    assert r.json["id"] == token_id
    assert r.json["revokedAt"].endswith("Z")
    assert_problem(client.get("/api/v1/me", headers=producer.headers), 401, "unauthenticated")


def test_revoking_twice_keeps_the_first_time(client, make):
    admin = make.actor("admin")
    producer = make.actor("producer")
    token_id = producer.user.tokens[0].id
    first = client.delete(f"/api/v1/tokens/{token_id}", headers=admin.headers).json["revokedAt"]
    second = client.delete(f"/api/v1/tokens/{token_id}", headers=admin.headers)
    assert second.status_code == 200
    assert second.json["revokedAt"] == first


def test_someone_elses_token_is_404(client, make):
    producer = make.actor("producer")
    colleague = make.actor("producer", producer.org)
    r = client.delete(f"/api/v1/tokens/{colleague.user.tokens[0].id}", headers=producer.headers)
    assert_problem(r, 404, "not-found")
    assert client.get("/api/v1/me", headers=colleague.headers).status_code == 200
    assert_problem(client.delete("/api/v1/tokens/999999", headers=producer.headers), 404, "not-found")


def test_a_tokens_last_use_is_recorded_at_most_every_few_minutes(client, make, session):
    import datetime as dt

    from trace.models import ApiToken
    from trace.services.organizations.organizations import TOKEN_USE_PRECISION

    producer = make.actor("producer")
    token = session.scalar(sa.select(ApiToken).where(ApiToken.user_id == producer.user.id))
    assert token.last_used_at is None

    def last_use():
        session.expire_all()
        return session.get(ApiToken, token.id).last_used_at

    before = dt.datetime.now(dt.UTC)
    assert client.get("/api/v1/batches", headers=producer.headers).status_code == 200
    first = last_use()
    assert first is not None and before - dt.timedelta(seconds=1) <= first <= dt.datetime.now(dt.UTC)
    assert client.get("/api/v1/batches", headers=producer.headers).status_code == 200
    assert last_use() == first  # within the precision: not written again
    stale = first - TOKEN_USE_PRECISION - dt.timedelta(seconds=1)
    session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=stale))
    session.commit()
    assert client.get("/api/v1/batches/0000000000000", headers=producer.headers).status_code in (400, 404)  # counts
    assert last_use() > first
    listed = client.get(f"/api/v1/organizations/{producer.org.id}/members/{producer.user.id}/tokens",
                        headers=producer.headers)
    assert listed.status_code == 200, listed.json
    (shown,) = listed.json
    assert shown["id"] == token.id and shown["lastUsedAt"] is not None
    assert "token" not in shown and "tokenHash" not in shown and shown["prefix"].startswith("sy_")


def test_only_the_member_or_an_admin_lists_a_members_tokens(client, make):
    producer = make.actor("producer")
    colleague = make.actor("producer", org=producer.org)
    path = f"/api/v1/organizations/{producer.org.id}/members/{producer.user.id}/tokens"
    assert_problem(client.get(path, headers=colleague.headers), 403, "forbidden")
    assert client.get(path, headers=make.actor("admin").headers).status_code == 200
