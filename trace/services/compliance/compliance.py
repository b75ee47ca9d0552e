"""Compliance checks: run on every recorded event and on demand; findings stored once each.

The rules live in ``compliance_rules`` (registered in ``rules``) and ``certificate_rules``; this
module loads the histories they read and stores what they find. A finding is keyed by (rule, event,
batch): re-running adds nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError
from trace.limits import IN_CHUNK
from trace.models import Batch, ComplianceFinding, Event, EventBatch, Product, User
from trace.models.organization import Role
from trace.services.catalog.shelf_life import best_before
from trace.services.compliance.certificate_rules import CERTIFICATE_RULES
from trace.services.compliance.compliance_rules import SEVERITIES, Finding, History, Step
from trace.services.compliance.rules import RECORD_RULES, Rule
from trace.services.endorsements.standing import certification_claims
from trace.services.lineage.lineage import downstream_ids, upstream_ids
from trace.services.organizations.permissions import require_role
from trace.stages import STAGES, names

if TYPE_CHECKING:
    from trace.services.records.bulk_rows import NewRecord



RULES: dict[str, Rule] = {**RECORD_RULES, **CERTIFICATE_RULES}


def evaluate(history: History, rules: Iterable[str] | None = None) -> list[Finding]:
    """Return the findings some rules (all by default) make on one batch's history."""
    return [finding for name in (RULES if rules is None else rules) for finding in RULES[name].check(history)]


def _history(batch: Batch) -> History:
    category = batch.product.category
    return History(batch.id, batch.trace_code, batch.quantity, batch.uom, batch.organization_id,
                   category.stage_names(), category.temperature_range, product_id=batch.product_id,
                   category=category.code, best_before=best_before(batch))


def _with_certifications(session: Session, histories: Iterable[History], declared: dict[int, list[Any]]) -> None:
    """Give the histories with a sale the certifications their products claim (``declared``: free text by product)."""
    selling = names(lambda s: s.sells)
    sold = [h for h in histories if h.product_id in declared and any(s.stage in selling for s in h.steps)]
    if sold:
        claims = certification_claims(session, {h.product_id: declared[h.product_id] for h in sold
                                                if h.product_id is not None})
        for history in sold:
            history.certifications = claims.get(history.product_id or 0, [])


def _step(event: Any, role: str = "subject", quantity: Any = None, uom: str | None = None,
          subjects: int = 1) -> Step:
    return Step(event.id, event.stage, role, event.occurred_at, event.recorded_at, event.organization_id,
                event.data or {}, quantity, uom, subjects)


def _histories(session: Session, batch_ids: Iterable[int], stages: frozenset[str] | None = None,
               upstream: bool = True) -> list[History]:
    """Load what the rules need about some batches: their events (of some stages), and upstream inspections."""
    ids = sorted(set(batch_ids))
    if not ids:
        return []
    batches = list(session.scalars(
        sa.select(Batch).where(Batch.id.in_(ids)).options(joinedload(Batch.product).joinedload(Product.category))
    ))
    histories = {b.id: _history(b) for b in batches}
    declared = {b.product_id: list(b.product.certifications or []) for b in batches}
    query = (sa.select(EventBatch.batch_id, EventBatch.role, EventBatch.quantity, EventBatch.uom, Event)
             .join(Event, Event.id == EventBatch.event_id).where(EventBatch.batch_id.in_(ids)))
    if stages is not None:
        query = query.where(Event.stage.in_(stages))
    rows = session.execute(query).all()
    moving = names(lambda s: s.ships or s.receives)
    shipping = {e.id for _, role, _, _, e in rows if e.stage in moving and role == "subject"}
    subjects = dict(session.execute(
        sa.select(EventBatch.event_id, sa.func.count())
        .where(EventBatch.event_id.in_(shipping), EventBatch.role == "subject")
        .group_by(EventBatch.event_id)
    ).all()) if shipping else {}
    for batch_id, role, quantity, uom, event in rows:
        histories[batch_id].steps.append(_step(event, role, quantity, uom, subjects.get(event.id, 1)))
    selling = names(lambda s: s.sells or s.ships)
    sellers = [h for h in histories.values() if upstream and any(s.stage in selling for s in h.steps)]
    for history in sellers:
        above = upstream_ids(session, [history.batch_id]) - {history.batch_id}
        if above:
            history.upstream_inspections = [
                (code, _step(event)) for code, event in session.execute(
                    sa.select(Batch.trace_code, Event)
                    .join(EventBatch, EventBatch.batch_id == Batch.id)
                    .join(Event, Event.id == EventBatch.event_id)
                    .where(Batch.id.in_(above), Event.stage.in_(names(lambda s: s.inspects)))
                ).all()
            ]
    _with_certifications(session, histories.values(), declared)
    return list(histories.values())


def _insert(session: Session) -> Any:
    """Return an INSERT that skips rows whose (rule, event, batch) is already stored."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(ComplianceFinding).on_conflict_do_nothing(index_elements=["rule", "event_id", "batch_id"])


def store_findings(session: Session, findings: list[Finding]) -> int:
    """Store the findings not stored yet; return how many were new."""
    if not findings:
        return 0
    keys = {(f.batch_id, f.event_id) for f in findings}
    existing = {tuple(row) for row in session.execute(
        sa.select(ComplianceFinding.rule, ComplianceFinding.event_id, ComplianceFinding.batch_id)
        .where(ComplianceFinding.batch_id.in_({b for b, _ in keys}),
               ComplianceFinding.event_id.in_({e for _, e in keys}))
    )}
    fresh = {(f.rule, f.event_id, f.batch_id): f for f in findings if (f.rule, f.event_id, f.batch_id) not in existing}
    if not fresh:
        return 0
    now = utcnow()
    rows = [{"rule": f.rule, "severity": f.severity, "batch_id": f.batch_id, "event_id": f.event_id,
             "message_zh": f.message_zh[:1000], "message_en": f.message_en[:1000], "details": f.details,
             "created_at": now} for f in fresh.values()]
    result = session.execute(_insert(session).returning(ComplianceFinding.id), rows)
    return len(result.all())


def check_batches(session: Session, batch_ids: Iterable[int]) -> int:
    """Run every rule on some batches; return how many findings were new."""
    return store_findings(session, [f for h in _histories(session, batch_ids) for f in evaluate(h)])


def check_event(session: Session, event: NewRecord) -> int:
    """Run the rules a newly stored event concerns on its batches (the hook in services/records/events.py).

    Only rules the event's stage can change run, reading only the stages they need, so most
    records cost a query or two; a storage record with readings costs none.
    """
    names = [name for name, rule in RULES.items() if event.stage in rule.triggers]
    lines = [eb for eb in event.batches if eb.role in ("subject", "input")]
    if not names or not lines:
        return 0
    reads = [RULES[name].reads for name in names]
    if all(r is None for r in reads):  # judged on the event alone
        histories = []
        for eb in lines:
            history = _history(eb.batch)
            history.steps.append(_step(event, eb.role, eb.quantity, eb.uom, len(lines)))
            histories.append(history)
    else:
        stages = frozenset({event.stage}).union(*(r for r in reads if r is not None))
        touched = {eb.batch_id for eb in lines}
        stage = STAGES.get(event.stage)
        if stage is not None and stage.inspects and (event.data or {}).get("result") == "fail":
            # A failure recorded late can make sales already recorded downstream non-compliant.
            for batch_id in list(touched):
                touched |= downstream_ids(session, batch_id)
        histories = _histories(session, touched, stages, upstream=any(RULES[n].upstream for n in names))
    return store_findings(session, [f for h in histories for f in evaluate(h, names)])


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start:start + IN_CHUNK]


def run_checks(session: Session, actor: User, scope: dict[str, Any]) -> dict[str, int]:
    """Run every rule over all batches, a batch's lineage, or the batches with events in a time range."""
    require_role(actor, Role.INSPECTOR, Role.ADMIN)
    if "batch" in scope:
        batch = session.scalar(sa.select(Batch).where(Batch.trace_code == scope["batch"]))
        if batch is None:
            raise NotFoundError(f"No batch {scope['batch']}.")
        ids = sorted(upstream_ids(session, [batch.id]) | downstream_ids(session, batch.id))
    else:
        query = sa.select(EventBatch.batch_id).join(Event, Event.id == EventBatch.event_id).distinct()
        if "from" in scope:
            query = query.where(Event.occurred_at >= scope["from"])
        if "to" in scope:
            query = query.where(Event.occurred_at < scope["to"])
        ids = sorted(session.scalars(query))
    created = sum(check_batches(session, chunk) for chunk in _chunks(ids))
    session.flush()
    open_count = session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding)
                                .where(ComplianceFinding.resolved_at.is_(None))) or 0
    return {"batches": len(ids), "created": created, "open": open_count}


def list_findings(session: Session, actor: User, query: dict[str, Any]) -> tuple[list[ComplianceFinding], int]:
    """Return one page of findings, most severe and newest first, and the total count."""
    require_role(actor, Role.INSPECTOR, Role.ADMIN)
    stmt = sa.select(ComplianceFinding)
    if query.get("severity"):
        stmt = stmt.where(ComplianceFinding.severity.in_(query["severity"]))
    if query.get("rule"):
        stmt = stmt.where(ComplianceFinding.rule.in_(query["rule"]))
    if "batch" in query:
        stmt = stmt.join(Batch, Batch.id == ComplianceFinding.batch_id).where(Batch.trace_code == query["batch"])
    if query.get("status") == "open":
        stmt = stmt.where(ComplianceFinding.resolved_at.is_(None))
    elif query.get("status") == "resolved":
        stmt = stmt.where(ComplianceFinding.resolved_at.is_not(None))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rank = sa.case({s: i for i, s in enumerate(SEVERITIES)}, value=ComplianceFinding.severity, else_=-1)
    page, per_page = query["page"], query["per_page"]
    rows = session.scalars(
        stmt.options(joinedload(ComplianceFinding.batch), joinedload(ComplianceFinding.event))
        .order_by(rank.desc(), ComplianceFinding.created_at.desc(), ComplianceFinding.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def resolve_finding(session: Session, actor: User, finding_id: int, note: str) -> ComplianceFinding:
    """Mark a finding resolved with a note (inspectors)."""
    require_role(actor, Role.INSPECTOR, Role.ADMIN)
    finding = session.get(ComplianceFinding, finding_id)
    if finding is None:
        raise NotFoundError(f"No finding {finding_id}.")
    if finding.resolved_at is not None:
        raise ConflictError(f"Finding {finding_id} was resolved already.")
    finding.resolved_at, finding.resolved_by, finding.resolution_note = utcnow(), actor.id, note
    session.flush()
    return finding


def finding_view(finding: ComplianceFinding) -> dict[str, Any]:
    """Return a finding as the API shows it."""
    def stamp(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None

    return {
        "id": finding.id, "rule": finding.rule, "severity": finding.severity,
        "batch": finding.batch.trace_code, "event": finding.event_id, "stage": finding.event.stage,
        "occurredAt": stamp(finding.event.occurred_at),
        "message": {"zh": finding.message_zh, "en": finding.message_en}, "details": finding.details,
        "createdAt": stamp(finding.created_at), "resolvedAt": stamp(finding.resolved_at),
        "resolutionNote": finding.resolution_note,
    }


__all__ = ["RULES", "check_batches", "check_event", "finding_view", "list_findings", "resolve_finding", "run_checks"]
