"""A batch's test results and those of the batches it was made from (原料检测), each with who signed it.

The page's verdict (services/verification) carries them: what was tested and by whom (endorsements),
and what must lead the page (cautions: a recall, a failed result, here or upstream).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.ledger.policy import COMMISSIONED, SUPERVISORY, result_basis
from trace.models import Batch, Event, EventBatch, Organization, Product, RecallBatch
from trace.services.lineage.lineage import upstream_depths
from trace.services.records.corrections import current_events
from trace.stages import names

# Caution kinds, in the order the page leads with them.
RECALLED, SOURCE_RECALLED, FAILED, SOURCE_FAILED = "recalled", "source_recalled", "failed", "source_failed"
CAUTION_ORDER = (RECALLED, SOURCE_RECALLED, FAILED, SOURCE_FAILED)
# Endorsement kinds: tested by (a laboratory), sampled by (an inspector). Registers of certifications and
# brands add theirs ("certified", "brand") with ``until``.
TESTED, SAMPLED = "tested", "sampled"


@dataclass(frozen=True)
class Party:
    """An organization as the page names it (``id`` None for an issuer that is not a registered organization)."""

    id: int | None
    name: str
    name_en: str | None = None

    @classmethod
    def of(cls, org: Organization) -> Party:
        return cls(org.id, org.name, org.name_en)


@dataclass(frozen=True)
class TestResult:
    """One test result of the batch or of a batch it was made from, and who vouches for it."""

    __test__ = False  # not a pytest class

    record: str  # the inspection record's id
    batch: str  # the trace code of the batch tested
    product: str
    product_en: str | None
    depth: int  # 0: this batch; n: n transformations upstream
    occurred_at: dt.datetime
    result: str  # pass | fail
    basis: str  # commissioned | supervisory | self_check (ledger/policy.py)
    signer: Party  # the organization whose key signed the result
    lab: Party | None  # the laboratory that tested (it signed); None for 自检 and an inspector's own test
    sampler: Party | None  # the inspector's organization that took the sample (监督抽检)
    requester: Party | None  # the producer that asked for the test (委托检测)
    asked: str | None  # the request or sampling record answered
    kind: str = "inspection"
    report_number: str | None = None
    items: tuple[dict[str, Any], ...] = ()

    @property
    def source(self) -> bool:
        return self.depth > 0

    @property
    def failed(self) -> bool:
        return self.result == "fail"


@dataclass(frozen=True)
class Caution:
    """What leads the page before any mark: a recall or a failed result, of this batch or a source."""

    kind: str
    batch: str
    record: str | None = None


@dataclass(frozen=True)
class Endorsement:
    """Who checked what: ``by`` vouched (``kind``) for batch ``batch`` in record ``record``."""

    kind: str
    by: Party
    batch: str
    record: str | None = None
    basis: str | None = None
    at: dt.datetime | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Quality:
    """A batch's results through lineage, the records they rest on, and the cautions they raise."""

    results: tuple[TestResult, ...] = ()
    cautions: tuple[Caution, ...] = ()
    records: tuple[Event, ...] = field(default=(), repr=False)  # results and the requests and samples they answer

    def endorsements(self) -> tuple[Endorsement, ...]:
        """Return who tested and who sampled, result by result (自检 vouches for no one but its producer)."""
        found: list[Endorsement] = []
        for r in self.results:
            if r.lab is not None:
                found.append(Endorsement(TESTED, r.lab, r.batch, r.record, r.basis, r.occurred_at))
            if r.sampler is not None:
                found.append(Endorsement(SAMPLED, r.sampler, r.batch, r.asked or r.record, r.basis, r.occurred_at))
        return tuple(found)


def batch_quality(session: Session, batch: Batch) -> Quality:
    """Return the batch's test results and its sources', as corrected, with the cautions they and recalls raise."""
    depths = upstream_depths(session, batch.id)
    inspects = names(lambda s: s.inspects)
    # Results and corrections in one query: a correction is recorded on the batches of the record it corrects.
    rows = session.execute(
        sa.select(Event, EventBatch.batch_id).join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id.in_(depths), EventBatch.role == "subject",
               Event.stage.in_([*inspects, "correction"]))
        .order_by(Event.occurred_at, Event.recorded_at, Event.id)).all()
    tested = {event.id: batch_id for event, batch_id in rows if event.stage != "correction"}
    events = list(dict.fromkeys(event for event, _ in rows if event.stage != "correction"))
    corrections = sorted({e.id: e for e, _ in rows if e.stage == "correction" and e.data.get("record") in tested
                          }.values(), key=lambda e: (e.recorded_at, e.id))
    corrections_data = [e.data for e in corrections]
    current = current_events(events, corrections_data)
    asked_ids = {str(e.data.get(k)) for e in current for k in ("request", "sample") if e.data.get(k)}
    asked = {e.id: e for e in session.scalars(sa.select(Event).where(Event.id.in_(asked_ids)))} if asked_ids else {}
    batches = {b.id: b for b in session.scalars(
        sa.select(Batch).where(Batch.id.in_(depths)).options(joinedload(Batch.product).load_only(
            Product.name, Product.name_en)))}
    org_ids = {e.organization_id for e in current} | {e.organization_id for e in asked.values()}
    orgs = {o.id: o for o in session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids)))} \
        if org_ids else {}
    results = sorted((_result(e, batches[tested[e.id]], depths[tested[e.id]], orgs, asked) for e in current),
                     key=lambda r: (r.depth, r.occurred_at, r.batch))
    records = tuple([*events, *asked.values()])
    return Quality(tuple(results), _cautions(session, batch, depths, batches, results), records)


def _result(event: Any, tested: Batch, depth: int, orgs: dict[int, Organization], asked: dict[str, Event]
            ) -> TestResult:
    data = event.data if isinstance(event.data, dict) else {}
    signer = orgs[event.organization_id]
    basis = result_basis(data, signer.kind)
    ref = data.get("request") or data.get("sample")
    answered = asked.get(str(ref)) if ref else None
    by = Party.of(orgs[answered.organization_id]) if answered is not None else None
    lab = Party.of(signer) if answered is not None else None  # only the laboratory asked signs an answer
    sampler = by if basis == SUPERVISORY and answered is not None else \
        Party.of(signer) if basis == SUPERVISORY else None
    return TestResult(
        record=event.id, batch=tested.trace_code, product=tested.product.name, product_en=tested.product.name_en,
        depth=depth, occurred_at=event.occurred_at, result=str(data.get("result") or ""), basis=basis,
        signer=Party.of(signer), lab=lab, sampler=sampler,
        requester=by if basis == COMMISSIONED else None, asked=str(ref) if ref else None,
        kind=str(data.get("kind") or "inspection"), report_number=data.get("reportNumber"),
        items=tuple(i for i in data.get("items") or [] if isinstance(i, dict)))


def _cautions(session: Session, batch: Batch, depths: dict[int, int], batches: dict[int, Batch],
              results: Iterable[TestResult]) -> tuple[Caution, ...]:
    found: list[Caution] = []
    reached = session.scalar(sa.select(RecallBatch.batch_id).where(RecallBatch.batch_id == batch.id).limit(1))
    if batch.status == "recalled" or reached is not None:
        found.append(Caution(RECALLED, batch.trace_code))
    found += [Caution(SOURCE_RECALLED, b.trace_code) for i, b in sorted(batches.items(), key=lambda kv: depths[kv[0]])
              if i != batch.id and b.status == "recalled"]
    found += [Caution(SOURCE_FAILED if r.source else FAILED, r.batch, r.record) for r in results if r.failed]
    return tuple(sorted(found, key=lambda c: CAUTION_ORDER.index(c.kind)))
