"""The public lookup: find what a scanned code names and gather what the consumer page shows."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.models import (
    Attachment,
    Batch,
    BatchLink,
    Checkpoint,
    Event,
    EventBatch,
    Organization,
    Product,
    Recall,
    RecallBatch,
    WitnessCosignature,
)
from trace.schemas.stage_extra import NamedTemplates
from trace.services.audit.verification import Verification, VerificationCache, page_verdict
from trace.services.catalog.templates import named_templates
from trace.services.lineage.lineage import upstream_ids
from trace.services.printing.labels import UnitScan
from trace.services.records.batches import batch_events
from trace.services.sensors.chain import Segment, batch_cold_chain
from trace.services.signing.keys import LedgerConfig


@dataclass(frozen=True)
class RecallNotice:
    """A recall that reached the batch."""

    reason: str
    origin: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class Photo:
    """An image the page shows: the product's own photo, or one a record of the batch (or of a source) cites."""

    sha256: str
    width: int
    height: int
    stage: str | None = None  # None: the product's photo
    occurred_at: dt.datetime | None = None
    batch: str | None = None  # the source batch's code when the record is a source's


@dataclass
class PublicRecord:
    """Everything the public page of a batch (or of one of its units) shows, before localisation."""

    batch: Batch
    events: list[Event]
    organizations: dict[int, Organization]
    verification: Verification
    unit: UnitScan | None = None
    inputs: list[Batch] = field(default_factory=list)
    recalls: list[RecallNotice] = field(default_factory=list)
    upstream_recalled: list[str] = field(default_factory=list)
    templates: NamedTemplates = field(default_factory=dict)  # the versions records name: extra fields' labels
    photos: list[Photo] = field(default_factory=list)  # the product's first, then records', oldest first
    sources: list[Batch] = field(default_factory=list)  # every batch upstream, nearest first (by id)
    cold_chain: list[Segment] | None = None  # what sensors read where it was (None: its category claims none)

    @property
    def recalled(self) -> bool:
        return self.batch.status == "recalled" or bool(self.recalls) or bool(self.upstream_recalled)


def _with_product(query: sa.Select[Batch]) -> sa.Select[Batch]:
    return query.options(joinedload(Batch.product).joinedload(Product.category), joinedload(Batch.organization))


def find_batch_by_id(session: Session, batch_id: int) -> Batch | None:
    """Return a batch by id with its product, category and organization, or None."""
    return session.scalar(_with_product(sa.select(Batch).where(Batch.id == batch_id)))


def find_batch_by_gtin(session: Session, gtin: str, lot: str) -> Batch | None:
    """Return the batch a GS1 Digital Link names by GTIN (14 digits) and lot, or None."""
    return session.scalar(_with_product(
        sa.select(Batch).join(Product, Product.id == Batch.product_id).where(Product.gtin == gtin, Batch.lot == lot)))


def gtin_known(session: Session, gtin: str) -> bool:
    """Tell whether a product has this GTIN."""
    return session.scalar(sa.select(Product.id).where(Product.gtin == gtin)) is not None


_LATEST_CHECKPOINT = sa.select(Checkpoint.size, Checkpoint.root_hash).order_by(Checkpoint.size.desc()).limit(1)
_LATEST_COSIGNED = sa.select(sa.func.max(WitnessCosignature.size))
# The log state each database was last read at, per process: (monotonic time, state).
_read_states: dict[str, tuple[float, tuple[int, bytes] | None]] = {}


def log_state(session: Session, max_age: float = 0.0) -> tuple[int, bytes] | None:
    """Return the latest checkpoint's size and root (what every public page depends on), or None if none yet.

    The bytes are the root hash followed by the largest size a witness cosigned (8 bytes), so a
    witness round changes the state too (the page says whether witnesses cover its records).
    With ``max_age``, a state read less than that many seconds ago is reused: a page served from
    cache then needs no database at all, and appends show at most ``max_age`` late.
    """
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    if max_age > 0:
        read = _read_states.get(key)
        if read is not None and now - read[0] < max_age:
            return read[1]
    row = session.connection().execute(_LATEST_CHECKPOINT).one_or_none()
    cosigned = session.connection().execute(_LATEST_COSIGNED).scalar() or 0 if row is not None else 0
    state = None if row is None else (int(row.size), bytes(row.root_hash) + int(cosigned).to_bytes(8, "big"))
    _read_states[key] = (now, state)
    return state


def _recalls(session: Session, batch: Batch) -> list[RecallNotice]:
    rows = session.scalars(
        sa.select(Recall).join(RecallBatch, RecallBatch.recall_id == Recall.id)
        .where(RecallBatch.batch_id == batch.id).options(joinedload(Recall.batch))
        .order_by(Recall.opened_at)
    )
    return [RecallNotice(r.reason, r.batch.trace_code, r.status, r.opened_at, r.closed_at) for r in rows]


def _inputs(session: Session, batch: Batch) -> list[Batch]:
    """Return the batches this one was made from, directly."""
    query = (sa.select(Batch).where(Batch.id.in_(
        sa.select(BatchLink.input_batch_id).where(BatchLink.output_batch_id == batch.id)))
        .options(joinedload(Batch.product)).order_by(Batch.id))
    return list(session.scalars(query))


MAX_PHOTOS = 6


def _photos(session: Session, batch: Batch, events: Sequence[Event], upstream: set[int]) -> list[Photo]:
    """Return the product's photo and the images records of the batch and of its sources cite (at most MAX_PHOTOS)."""
    cited: list[tuple[str, str | None, dt.datetime | None, str | None]] = []
    if batch.product.photo:
        cited.append((batch.product.photo, None, None, None))
    for event in events:
        cited += [(a["sha256"], event.stage, event.occurred_at, None) for a in event.attachments or []
                  if str(a.get("mime", "")).startswith("image/")]
    if upstream:
        rows = session.execute(
            sa.select(Event.stage, Event.occurred_at, Event.attachments, Batch.trace_code)
            .join(EventBatch, EventBatch.event_id == Event.id).join(Batch, Batch.id == EventBatch.batch_id)
            .where(EventBatch.batch_id.in_(upstream)).order_by(Event.occurred_at))
        for row in rows:
            stage, occurred_at, code = row.stage, row.occurred_at, row.trace_code
            cited += [(a["sha256"], stage, occurred_at, code) for a in row.attachments or []
                      if str(a.get("mime", "")).startswith("image/")]
    wanted = list(dict.fromkeys(sha for sha, *_ in cited))[:MAX_PHOTOS]
    if not wanted:
        return []
    sizes = {a.sha256: (a.width, a.height) for a in session.scalars(sa.select(Attachment).where(
        Attachment.sha256.in_(wanted), Attachment.width.is_not(None)))}
    photos, seen = [], set()
    for sha, stage, occurred_at, code in cited:
        if sha in sizes and sha not in seen:
            seen.add(sha)
            width, height = sizes[sha]
            photos.append(Photo(sha, width or 0, height or 0, stage, occurred_at, code))
    return photos


def _organization_ids(batch: Batch, events: Sequence[Event]) -> set[int]:
    """Return the organizations the page names: recorders, shipping recipients and senders, laboratories asked."""
    ids = {batch.organization_id} | {e.organization_id for e in events}
    for event in events:
        for key in ("recipient", "from", "laboratory"):
            value = event.data.get(key) if isinstance(event.data, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                ids.add(value)
    return ids


def public_record(session: Session, cfg: LedgerConfig, batch: Batch, unit: UnitScan | None = None,
                  cache: VerificationCache | None = None) -> PublicRecord:
    """Gather the public page of a batch: its events, organizations, recalls, inputs and verification."""
    events = batch_events(session, batch)
    upstream = upstream_ids(session, [batch.id]) - {batch.id}
    sources = list(session.scalars(sa.select(Batch).where(Batch.id.in_(upstream)).options(
        joinedload(Batch.product), joinedload(Batch.organization)).order_by(Batch.id.desc()))) if upstream else []
    org_ids = _organization_ids(batch, events)
    organizations = {o.id: o for o in session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids)))}
    return PublicRecord(
        batch=batch, events=events, organizations=organizations, unit=unit,
        verification=page_verdict(session, cfg, batch, events, cache),
        inputs=_inputs(session, batch), recalls=_recalls(session, batch),
        upstream_recalled=[b.trace_code for b in sorted(sources, key=lambda b: b.trace_code) if b.status == "recalled"],
        templates=named_templates(session, events), photos=_photos(session, batch, events, upstream), sources=sources,
        cold_chain=batch_cold_chain(session, batch),
    )
