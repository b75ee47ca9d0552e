"""Recall work lists: each holder of recalled stock sees what it holds and answers (returned, destroyed, not
held); inspectors see who has answered and who has not.

Holders come from ``recalls.holdings``: the custodian of an affected batch that still has stock,
and every organization a shipping record sent it to or that recorded receiving it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.models import Recall, RecallAcknowledgement, RecallBatch, User
from trace.models.organization import Role
from trace.services.lineage.recalls import Holding, holdings

ACTIONS = ("returned", "destroyed", "not_held")
NOTE_LENGTH = 500


@dataclass
class HolderLine:
    """One holder's relation to one affected batch of a recall, and its answer if it gave one."""

    holding: Holding
    answer: RecallAcknowledgement | None


def recall_holders(session: Session, recall: Recall) -> list[HolderLine]:
    """Return every holder of every batch a recall reached, with its answer (None: not yet)."""
    batch_ids = list(session.scalars(sa.select(RecallBatch.batch_id).where(RecallBatch.recall_id == recall.id)))
    answers = {(a.organization_id, a.batch_id): a for a in session.scalars(
        sa.select(RecallAcknowledgement).where(RecallAcknowledgement.recall_id == recall.id))}
    return [HolderLine(h, answers.get((h.organization.id, h.batch.id))) for h in holdings(session, batch_ids)]


def work_list(session: Session, actor: User) -> list[tuple[Recall, list[HolderLine]]]:
    """Return the open recalls that reach stock the actor's organization holds or was sent, with its lines."""
    reaching = []
    for recall in session.scalars(sa.select(Recall).where(Recall.status == "open").order_by(Recall.opened_at.desc())):
        mine = [line for line in recall_holders(session, recall)
                if line.holding.organization.id == actor.organization_id]
        if mine:
            reaching.append((recall, mine))
    return reaching


def acknowledge(session: Session, actor: User, recall_id: int, batch_id: int, action: str,
                note: str | None) -> RecallAcknowledgement:
    """Record the actor's organization's answer for a batch of an open recall; a second answer replaces the first."""
    if actor.role not in (Role.PRODUCER, Role.STATION):
        raise PermissionDeniedError("Only holders of stock answer a recall.")
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFoundError(f"No recall {recall_id}.")
    if recall.status != "open":
        raise ValidationError("The recall is closed.", errors={"recall": ["Closed."]})
    if action not in ACTIONS:
        raise ValidationError("Unknown answer.", errors={"action": [f"One of {', '.join(ACTIONS)}."]})
    if note is not None and len(note) > NOTE_LENGTH:
        raise ValidationError("The note is too long.", errors={"note": [f"At most {NOTE_LENGTH} characters."]})
    held = {line.holding.batch.id for line in recall_holders(session, recall)
            if line.holding.organization.id == actor.organization_id}
    if batch_id not in held:
        raise PermissionDeniedError("Your organization does not hold this batch of the recall.")
    found = session.scalar(sa.select(RecallAcknowledgement).where(
        RecallAcknowledgement.recall_id == recall_id, RecallAcknowledgement.organization_id == actor.organization_id,
        RecallAcknowledgement.batch_id == batch_id))
    if found is None:
        found = RecallAcknowledgement(recall_id=recall_id, organization_id=actor.organization_id, batch_id=batch_id,
                                      action=action, note=note, user_id=actor.id)
        session.add(found)
    else:
        found.action, found.note, found.user_id = action, note, actor.id
    session.flush()
    return found
