"""Consumer feedback: store what the public page's form sends; list it for producers and inspectors."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.db import utcnow
from trace.errors import PermissionDeniedError
from trace.models import Batch, Feedback, User
from trace.models.organization import Role


def submit_feedback(session: Session, batch: Batch, unit_id: int | None, fields: dict[str, Any],
                    *, nonce: str, lang: str) -> tuple[Feedback, bool]:
    """Store one piece of feedback on a batch; return it and whether it is new.

    The nonce comes from the form's signed token, so submitting the same form twice stores it once.
    """
    existing = session.scalar(sa.select(Feedback).where(Feedback.nonce == nonce))
    if existing is not None:
        return existing, False
    text = (fields.get("text") or "").strip() or None
    contact = (fields.get("contact") or "").strip() or None
    feedback = Feedback(batch_id=batch.id, unit_code_id=unit_id, organization_id=batch.organization_id,
                        kind=fields["kind"], rating=fields.get("rating"), text=text, contact=contact, lang=lang,
                        nonce=nonce, created_at=utcnow())
    session.add(feedback)
    session.flush()
    return feedback, True


def list_feedback(session: Session, actor: User, query: dict[str, Any]) -> tuple[list[Feedback], int]:
    """Return one page of feedback, newest first: producers see their organization's, inspectors and admins all."""
    if actor.role not in (Role.PRODUCER, Role.INSPECTOR, Role.ADMIN):
        raise PermissionDeniedError("Feedback is for producers, inspectors and admins.")
    stmt = sa.select(Feedback)
    if actor.role == Role.PRODUCER:
        stmt = stmt.where(Feedback.organization_id == actor.organization_id)
    if "batch" in query:
        stmt = stmt.join(Batch, Batch.id == Feedback.batch_id).where(Batch.trace_code == query["batch"])
    if "kind" in query:
        stmt = stmt.where(Feedback.kind == query["kind"])
    if "created_from" in query:
        stmt = stmt.where(Feedback.created_at >= query["created_from"])
    if "created_to" in query:
        stmt = stmt.where(Feedback.created_at < query["created_to"])
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, per_page = query["page"], query["per_page"]
    rows = session.scalars(
        stmt.options(joinedload(Feedback.batch).joinedload(Batch.product), joinedload(Feedback.unit))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total
