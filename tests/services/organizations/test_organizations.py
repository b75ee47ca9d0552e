"""Organizations, members and tokens at the service level."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trace.errors import AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError
from trace.models import ApiToken
from trace.services.organizations.organizations import (
    add_member,
    authenticate,
    create_organization,
    get_member,
    hash_token,
    issue_token,
    revoke_token,
)


def test_only_the_hash_of_a_token_is_stored(make, session):
    producer = make.actor("producer")
    token, secret = issue_token(session, None, producer.user, "phone")
    assert session.scalar(sa.select(ApiToken.token_hash).where(ApiToken.id == token.id)) == hash_token(secret)
    assert secret not in {token.token_hash, token.prefix}
    assert authenticate(session, secret)[0].id == producer.user.id


def test_revoked_or_disabled_tokens_do_not_authenticate(make, session):
    producer = make.actor("producer")
    colleague = make.actor("producer", producer.org)
    revoke_token(session, producer.user, producer.user.tokens[0].id)
    with pytest.raises(AuthenticationError):
        authenticate(session, producer.token)
    from trace.db import utcnow

    colleague.user.disabled_at = utcnow()
    session.flush()
    with pytest.raises(AuthenticationError):
        authenticate(session, colleague.token)
    with pytest.raises(AuthenticationError):
        authenticate(session, "sy_unknown")


def test_only_admins_create_organizations_and_members(make, session):
    producer = make.actor("producer")
    fields = {"kind": "cooperative", "name": "x", "region": {"province": "浙江省", "county": "松阳县"}}
    with pytest.raises(PermissionDeniedError):
        create_organization(session, producer.user, fields)
    with pytest.raises(PermissionDeniedError):
        add_member(session, producer.user, producer.org, "new", "producer")
    org = create_organization(session, make.actor("admin").user, fields)
    assert (org.province, org.county, org.township) == ("浙江省", "松阳县", None)


def test_credit_codes_and_member_names_are_unique(make, session):
    admin = make.actor("admin").user
    fields = {"kind": "cooperative", "name": "x", "credit_code": "91350100M000100Y43",
              "region": {"province": "浙江省", "county": "松阳县"}}
    org = create_organization(session, admin, fields)
    with pytest.raises(ConflictError):
        create_organization(session, admin, {**fields, "name": "y"})
    add_member(session, admin, org, "张三", "producer")
    with pytest.raises(ConflictError):
        add_member(session, admin, org, "张三", "inspector")
    add_member(session, admin, make.org(), "张三", "producer")  # another organization may have one


def test_members_belong_to_their_organization(make, session):
    producer = make.actor("producer")
    other = make.org()
    assert get_member(session, producer.org, producer.user.id).id == producer.user.id
    with pytest.raises(NotFoundError):
        get_member(session, other, producer.user.id)


def test_tokens_are_revoked_by_their_owner_or_an_admin(make, session):
    producer = make.actor("producer")
    colleague = make.actor("producer", producer.org)
    token_id = producer.user.tokens[0].id
    with pytest.raises(NotFoundError):
        revoke_token(session, colleague.user, token_id)
    assert revoke_token(session, make.actor("admin").user, token_id).revoked_at is not None
