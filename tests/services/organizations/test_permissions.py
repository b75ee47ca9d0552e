"""Role and organization rules for reads and writes."""

from __future__ import annotations

import pytest

from trace.errors import PermissionDeniedError
from trace.models import Batch, Event, EventBatch, User
from trace.models.organization import Role
from trace.services.organizations.permissions import can_read_batch, can_read_event, require_batch_write, require_role

OWNER, HOLDER, STRANGER = 1, 2, 3


def user(role: str, org: int) -> User:
    return User(id=org * 10, organization_id=org, name="u", role=role)


def batch(custodian: int = OWNER) -> Batch:
    return Batch(id=1, trace_code="X", organization_id=OWNER, custodian_id=custodian)


@pytest.mark.parametrize(
    ("who", "readable"),
    [(user("producer", OWNER), True), (user("producer", HOLDER), True), (user("producer", STRANGER), False),
     (user("inspector", STRANGER), True), (user("admin", STRANGER), True)],
    ids=["owner", "holder", "stranger", "inspector", "admin"],
)
def test_who_reads_a_shipped_batch(who, readable):
    assert can_read_batch(who, batch(custodian=HOLDER)) is readable


@pytest.mark.parametrize(
    ("who", "stage", "allowed"),
    [
        (user("producer", OWNER), "harvest", True),
        (user("producer", HOLDER), "storage", True),
        (user("producer", STRANGER), "harvest", False),
        (user("producer", STRANGER), "inspection", False),
        (user("inspector", STRANGER), "inspection", True),
        (user("inspector", STRANGER), "recall", True),
        (user("inspector", STRANGER), "harvest", False),
        (user("inspector", OWNER), "sale", False),
        (user("admin", OWNER), "harvest", False),
        (user("admin", OWNER), "recall", False),
        (user("producer", HOLDER), "receiving", True),
        (user("producer", OWNER), "receiving", False),
        (user("producer", HOLDER), "processing", True),
        (user("producer", OWNER), "recall", True),
        (user("producer", OWNER), "certificate", True),
    ],
    ids=["owner-harvests", "holder-stores", "stranger-harvests", "stranger-inspects", "inspector-inspects",
         "inspector-recalls", "inspector-harvests", "inspector-sells", "admin-harvests", "admin-recalls",
         "recipient-receives", "shipper-receives", "holder-processes", "owner-recalls", "owner-certifies"],
)
def test_who_records_which_stage(who, stage, allowed):
    b = batch(custodian=HOLDER)
    if allowed:
        require_batch_write(who, b, stage)
    else:
        with pytest.raises(PermissionDeniedError):
            require_batch_write(who, b, stage)


def test_require_role_names_what_is_needed():
    with pytest.raises(PermissionDeniedError, match="admin or inspector role; you are producer"):
        require_role(user("producer", OWNER), Role.ADMIN, Role.INSPECTOR)
    require_role(user("inspector", OWNER), Role.ADMIN, Role.INSPECTOR)


def test_who_reads_an_event():
    b = batch(custodian=HOLDER)
    event = Event(id="e", organization_id=HOLDER)
    event.batches = [EventBatch(role="subject", batch=b)]
    assert can_read_event(user("producer", HOLDER), event)
    assert can_read_event(user("producer", OWNER), event)
    assert can_read_event(user("inspector", STRANGER), event)
    assert not can_read_event(user("producer", STRANGER), event)
    own = Event(id="f", organization_id=STRANGER)
    own.batches = [EventBatch(role="subject", batch=b)]
    assert can_read_event(user("producer", STRANGER), own)
