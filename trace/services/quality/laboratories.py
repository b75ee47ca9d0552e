"""Laboratories answer requests and samples: who may sign which test result, and the requests they have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from trace.errors import PermissionDeniedError, ValidationError
from trace.ledger.policy import COMMISSIONED, SELF_CHECK, SUPERVISORY, result_basis, role_fits
from trace.models import Batch, Event, EventBatch, User
from trace.models.organization import Role

REQUEST_STAGE, SAMPLE_STAGE, RESULT_STAGE = "test_request", "sampling", "inspection"


def expected_basis(actor: User, data: dict[str, Any]) -> str | None:
    """Return the basis a result recorded by this user states: the laboratory's, the inspector's or the producer's."""
    if actor.role == Role.LAB:
        return COMMISSIONED if data.get("request") else SUPERVISORY if data.get("sample") else None
    if actor.role == Role.INSPECTOR:
        return SUPERVISORY
    return SELF_CHECK


def settle_basis(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Return a result's data with its basis filled in from who records it (a stated basis is checked later)."""
    if data.get("basis") is not None:
        return data
    basis = expected_basis(actor, data)
    return {**data, "basis": basis} if basis else data


def _answered(session: Session, record_id: str, stage: str, key: str) -> Event:
    event = session.get(Event, record_id)
    if event is None or event.stage != stage:
        what = "test request" if stage == REQUEST_STAGE else "sampling record"
        raise ValidationError(f"No {what} {record_id}.", errors={"data": {key: [f"No such {what}."]}})
    return event


def require_vouching(session: Session, actor: User, data: dict[str, Any], batches: list[Batch]) -> None:
    """Raise unless the user may sign this result as its basis says.

    A laboratory answers only requests addressed to its organization, or samples that name it,
    and only for the batches they name; an inspector's own result is supervisory; a producer's
    is 自检 and cannot answer a request or sample in a laboratory's place.
    """
    request, sample = data.get("request"), data.get("sample")
    expected = expected_basis(actor, data)
    if actor.role == Role.LAB:
        if not role_fits(actor.role, actor.organization.kind):
            raise PermissionDeniedError("Only staff of a laboratory (an inspection_agency) record its results.")
        if expected is None:
            raise PermissionDeniedError(
                "实验室只能为委托给本机构的检测或点名本机构的抽检样品出具结果：请注明 request 或 sample。"
                " A laboratory records results only for tests its organization was asked to do: name the "
                "request (test_request record) or sample (sampling record) the result answers.")
        asked = _answered(session, str(request), REQUEST_STAGE, "request") if request else \
            _answered(session, str(sample), SAMPLE_STAGE, "sample")
        if (asked.data or {}).get("laboratory") != actor.organization_id:
            raise PermissionDeniedError(
                f"该{'委托' if request else '抽检'}不是给本机构的。"
                f" That {'request' if request else 'sample'} names another laboratory.")
        named = {line.batch_id for line in asked.batches if line.role == "subject"}
        strangers = [b.trace_code for b in batches if b.id not in named]
        if strangers:
            raise PermissionDeniedError(
                f"The {'request' if request else 'sample'} does not name batch {', '.join(strangers)}.")
    elif request or sample:
        raise PermissionDeniedError(
            "只有受托或被点名的检测机构可以出具该结果。"
            " Only the laboratory a request was addressed to (or a sample names) answers it; "
            + ("a producer records its own test as 自检 (self_check)." if actor.role == Role.PRODUCER
               else "an inspector records the sampling, the laboratory the result."))
    stated = data.get("basis") or result_basis(data, actor.organization.kind)
    if stated != expected:
        raise PermissionDeniedError(
            f"检测依据不符。 This result's basis is {expected} (who records it decides), not {stated}.",
            errors={"data": {"basis": [f"Must be {expected}."]}})


@dataclass(frozen=True)
class AskedTest:
    """A test request or sample addressed to a laboratory, and the results that answer it."""

    record: Event
    answers: tuple[Event, ...]


def list_asked_tests(session: Session, actor: User) -> list[AskedTest]:
    """Return the requests and samples the actor's organization asked (producers, inspectors) or was asked (labs)."""
    query = sa.select(Event).where(Event.stage.in_((REQUEST_STAGE, SAMPLE_STAGE)))
    if actor.role == Role.LAB:
        query = query.where(Event.data["laboratory"].as_integer() == actor.organization_id)
    elif actor.role != Role.ADMIN:
        query = query.where(Event.organization_id == actor.organization_id)
    query = query.options(selectinload(Event.batches).selectinload(EventBatch.batch)).order_by(Event.occurred_at)
    asked = list(session.scalars(query))
    if not asked:
        return []
    ids = [e.id for e in asked]
    answers: dict[str, list[Event]] = {}
    for key in ("request", "sample"):
        for event in session.scalars(sa.select(Event).where(
                Event.stage == RESULT_STAGE, Event.data[key].as_string().in_(ids)).order_by(Event.occurred_at)):
            answers.setdefault(str(event.data[key]), []).append(event)
    return [AskedTest(e, tuple(answers.get(e.id, ()))) for e in asked]
