"""The verified mark on the public lookup page: a batch's records are signed, unaltered and in the signed log.

A batch is verified when the latest checkpoint's note verifies under a log key with this
deployment's origin, and every event touching the batch has a log entry whose leaf

- parses, and holds a record equal to the event row (so the page shows what was signed),
- carries a valid signature by the recording organization's key, not revoked before the record
  was made (and any device signature verifies too),
- is included, by its inclusion proof from the stored tiles, in the checkpoint's tree.

Results are cached per batch and checkpoint (size and root): the log only grows, so the next
entry appended anywhere refreshes every batch's result.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.cache import LruCache
from trace.ledger import policy
from trace.models import Batch, Checkpoint, Event, LogEntry, SigningKey
from trace.services.audit.batch_state import (
    EFFECT_STAGES,
    BatchState,
    row_state,
    state_differences,
    transformation_stages,
)
from trace.services.endorsements import Endorsement as Credential
from trace.services.endorsements import china_today
from trace.services.endorsements.standing import standing_of
from trace.services.quality.results import Caution, Endorsement, TestResult, batch_quality
from trace.services.records.registration import batch_differences, product_differences
from trace.services.signing.keys import LedgerConfig
from trace.services.signing.log import DbTileStore, event_record
from trace.services.signing.witnesses import latest_cosigned
from trace.times import parse_time

# Problem kinds, in the order a reader would want to hear about them.
NO_CHECKPOINT, CHECKPOINT, MISSING, LEAF, RECORD, SIGNATURE, INCLUSION, CHAIN, FACTS = (
    "no-checkpoint", "checkpoint", "missing", "leaf", "record", "signature", "inclusion", "chain", "facts")


@dataclass(frozen=True)
class Problem:
    kind: str
    event_id: str | None
    detail: str


@dataclass(frozen=True)
class Verification:
    """What the verified mark says, and why not when it is not."""

    records: int
    checkpoint_size: int
    problems: tuple[Problem, ...]
    log_order: tuple[str, ...] = ()  # the batch's logged events, by log index (read with their entries)
    # Who vouches (page_verdict only): test results here and upstream, who tested or sampled, and what leads the page.
    results: tuple[TestResult, ...] = ()
    endorsements: tuple[Endorsement, ...] = ()
    cautions: tuple[Caution, ...] = ()
    # Certifications and the regional brand's grant, as they stand today (certified by, brand authorised by).
    credentials: tuple[Credential, ...] = ()
    last_entry: int = -1  # the log index of the batch's newest record
    # Witnesses (page_verdict only): None when none is configured; else the latest cosigned checkpoint or None.
    witnessed: Witnessed | None = None
    witnesses_configured: bool = False

    @property
    def witness_covers(self) -> bool:
        """Tell whether the witnesses' latest cosigned checkpoint includes all of the batch's records."""
        return self.witnessed is not None and self.witnessed.size > self.last_entry

    @property
    def verified(self) -> bool:
        return self.records > 0 and not self.problems

    @property
    def cleared(self) -> bool:
        """Tell whether the page may show its green mark: verified, and no recall or failed result to lead with.

        The mark says the records are signed and logged; beside a recall or a failed result it would
        read as a safety claim, so it is never green then.
        """
        return self.verified and not self.cautions


@dataclass(frozen=True)
class Witnessed:
    """The latest checkpoint a quorum of witnesses cosigned: its size and who cosigned."""

    size: int
    witnesses: tuple[str, ...]


_witnessed_cache: dict[tuple[tuple[str, ...], int], tuple[float, Witnessed | None]] = {}
WITNESSED_MAX_AGE = 1.0  # seconds; witnesses cosign every few seconds, pages need not ask more often


def witnessed(session: Session, cfg: LedgerConfig) -> Witnessed | None:
    """Return the latest checkpoint a quorum of the configured witnesses cosigned (cached for a second)."""
    key = (cfg.witnesses, cfg.witness_quorum)
    hit = _witnessed_cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < WITNESSED_MAX_AGE:
        return hit[1]
    cosigned = latest_cosigned(session, cfg.witnesses, cfg.witness_quorum)
    value = Witnessed(cosigned.size, cosigned.witnesses) if cosigned else None
    _witnessed_cache[key] = (now, value)
    return value


class VerificationCache(LruCache[Verification]):
    """Verification results keyed by batch and checkpoint."""


def page_verdict(session: Session, cfg: LedgerConfig, batch: Batch, events: Sequence[Event],
                 cache: VerificationCache | None = None, today: dt.date | None = None) -> Verification:
    """Return what a batch's page may claim: records unaltered, chain complete, batch facts as signed; or why not.

    The one verdict the lookup page presents. Later conditions (witnesses, who vouches) join here:
    ``results`` (this batch's and its sources' tests, each with its basis and signer), ``endorsements``
    (tested by a laboratory, sampled by an inspector), ``credentials`` (certified by, brand authorised
    by, as they stand on ``today``, a China date) and ``cautions`` (a recall or failed result here or
    upstream: they lead, and ``cleared`` is false; an expired certification or a revoked grant is a
    warning in its own section, not a caution). The records the sources' results and the credentials
    rest on are verified with the batch's (signed, in the log).
    The facts are compared on every call (a row can change without a new log entry); the rest is
    cached per checkpoint.
    """
    product_record = session.get(Event, batch.product.record_id) if batch.product.record_id else None
    quality = batch_quality(session, batch)
    own = {e.id for e in events}
    relied = [e for e in quality.records if e.id not in own]  # sources' results and what they answer
    standing = standing_of(session, batch.product, today or china_today())
    vouching = sorted(session.scalars(sa.select(Event).where(Event.id.in_(standing.facts))), key=lambda e: e.id) \
        if standing.facts else []
    relied_ids = {e.id for e in relied}
    also = [*([product_record] if product_record else []), *sorted(relied, key=lambda e: e.id),
            *(e for e in vouching if e.id not in relied_ids and e.id not in own)]
    result = verify_batch(session, cfg, batch, events, cache, also=also)
    problems = list(result.problems)
    problems.extend(_endorsement_problems(standing.facts, vouching))
    registration = next((e for e in events if e.stage == "registration"), None)
    corrections = [e.data for e in events if e.stage == "correction"
                   and registration is not None and e.data.get("record") == registration.id]
    differ = batch_differences(batch, registration.data if registration else None, corrections)
    if differ and differ != ["registration"]:  # a missing registration is a chain problem
        problems.append(Problem(FACTS, registration.id if registration else None,
                                f"the batch row differs from its signed registration in {', '.join(differ)}"))
    if registration is not None:
        order = result.log_order or _log_order(session, events)
        differ = _state_differences(batch, registration, events, order)
        if differ:
            problems.append(Problem(FACTS, registration.id, "the batch row differs from what its signed records "
                                                            f"make it in {', '.join(differ)}"))
    product_data = product_record.data if product_record is not None else None
    if product_data is not None and int(product_data.get("product", 0)) != batch.product_id:
        product_data = None
    differ = product_differences(batch.product, product_data)
    if differ:
        problems.append(Problem(FACTS, product_record.id if product_record else None,
                                f"the product differs from its signed product record in {', '.join(differ)}"))
    return Verification(result.records, result.checkpoint_size, tuple(problems), result.log_order,
                        results=quality.results, endorsements=quality.endorsements(), cautions=quality.cautions,
                        credentials=standing.endorsements, last_entry=result.last_entry,
                        witnessed=witnessed(session, cfg) if cfg.witnesses else None,
                        witnesses_configured=bool(cfg.witnesses))


def _endorsement_problems(facts: dict[str, dict[str, Any]], records: Sequence[Event]) -> list[Problem]:
    """Name the certification and brand rows that differ from the signed records they were made from."""
    found = {e.id: e for e in records}
    problems = []
    for record_id, data in sorted(facts.items()):
        event = found.get(record_id)
        if event is None:
            problems.append(Problem(MISSING, record_id, "an endorsement's signed record is missing"))
        elif json.loads(json.dumps(data)) != event.data:
            problems.append(Problem(FACTS, record_id, f"the {event.stage} row differs from its signed record"))
    return problems


def _log_order(session: Session, events: Sequence[Event]) -> tuple[str, ...]:
    """Return the ids of the events that have log entries, by log index (when no verification read them)."""
    if not events:
        return ()
    rows = session.execute(sa.select(LogEntry.event_id).where(LogEntry.event_id.in_([e.id for e in events]))
                           .order_by(LogEntry.index)).scalars()
    return tuple(str(event_id) for event_id in rows)


def _state_differences(batch: Batch, registration: Event, events: Sequence[Event], order: Sequence[str]) -> list[str]:
    """Replay the batch's logged records that change its state, in log order, and compare its row (as the audit)."""
    effects = set(EFFECT_STAGES + transformation_stages())
    changing = {e.id: e for e in events if e.stage in effects}
    state = BatchState.registered(registration.id, registration.data)
    for event_id in order:
        event = changing.get(event_id)
        if event is None:
            continue
        subjects = sum(1 for line in event.batches if line.role == "subject")
        for line in event.batches:
            if line.batch_id == batch.id:
                state.apply(event.stage, event.data, line.role, line.quantity, subjects)
    return state_differences(row_state(batch.status, batch.disposition, batch.custodian_id, batch.available), state)


def verify_batch(session: Session, cfg: LedgerConfig, batch: Batch, events: Sequence[Event],
                 cache: VerificationCache | None = None, also: Sequence[Event] = ()) -> Verification:
    """Return whether a batch's events are signed, unaltered, chained and included in the latest signed checkpoint.

    ``events`` are the batch's events with their batches loaded (``services.batches.batch_events``);
    ``also`` are records the page relies on that are not the batch's (its product's record),
    checked the same way but not counted.
    """
    checkpoint = session.scalar(sa.select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1))
    if checkpoint is None:
        return Verification(len(events), 0, (Problem(NO_CHECKPOINT, None, "the log has no checkpoint yet"),))
    # The batch's own events are in the key: a deleted record changes the verdict without a new entry.
    key = (batch.trace_code, checkpoint.size, checkpoint.root_hash, tuple(e.id for e in also),
           hash(tuple(e.id for e in events)))
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    result = _verify(session, cfg, checkpoint, events, also, batch.trace_code,
                     bytes(batch.log_tip) if batch.log_tip is not None else None)
    if cache is not None:
        cache.put(key, result)
    return result


def _open_checkpoint(session: Session, cfg: LedgerConfig, checkpoint: Checkpoint) -> ledger.Checkpoint | Problem:
    """Return the checkpoint as signed by a log key (rotated ones included), or the problem with it."""
    log_keys = session.scalars(sa.select(SigningKey).where(SigningKey.role == "log"))
    verifiers = [ledger.parse_vkey(ledger.vkey(k.name, k.public_key)) for k in log_keys]
    try:
        text, _ = ledger.open_note(checkpoint.note, verifiers)
        opened = ledger.parse_checkpoint(text)
    except ledger.LedgerError as exc:
        return Problem(CHECKPOINT, None, f"the latest checkpoint does not verify: {exc}")
    if opened.origin != cfg.origin:
        return Problem(CHECKPOINT, None, f"the checkpoint is for log {opened.origin!r}, not {cfg.origin!r}")
    return opened


def _verify(session: Session, cfg: LedgerConfig, checkpoint: Checkpoint, counted: Sequence[Event],
            also: Sequence[Event], code: str, tip: bytes | None) -> Verification:
    opened = _open_checkpoint(session, cfg, checkpoint)
    if isinstance(opened, Problem):
        return Verification(len(counted), checkpoint.size, (opened,))
    events = [*counted, *also]
    entries: dict[str, LogEntry] = {e.event_id: e for e in session.scalars(  # type: ignore[misc]
        sa.select(LogEntry).where(LogEntry.event_id.in_([event.id for event in events])))} if events else {}
    parsed: dict[str, tuple[dict[str, Any], list[dict[str, str]]]] = {}
    problems: list[Problem] = []
    for event in events:
        entry = entries.get(event.id)
        if entry is None:
            problems.append(Problem(MISSING, event.id, "the event has no log entry"))
            continue
        try:
            parsed[event.id] = ledger.parse_leaf(entry.leaf)
        except ledger.LedgerError as exc:
            problems.append(Problem(LEAF, event.id, f"log entry {entry.index} cannot be read: {exc}"))
    key_ids = {sig["keyId"] for _, sigs in parsed.values() for sig in sigs}
    keys = {k.key_id: k for k in session.scalars(sa.select(SigningKey).where(SigningKey.key_id.in_(key_ids)))} \
        if key_ids else {}
    node = ledger.tile_node_reader(DbTileStore(session))
    for event in events:
        if event.id not in parsed:
            continue
        entry = entries[event.id]
        record, signatures = parsed[event.id]
        signed = {k: v for k, v in record.items() if k != "prev"}
        if signed != json.loads(json.dumps(event_record(event))):
            problems.append(Problem(RECORD, event.id, f"the event row differs from signed entry {entry.index}"))
        why = _signature_problem(record, signatures, keys)
        if why:
            problems.append(Problem(SIGNATURE, event.id, f"entry {entry.index}: {why}"))
        try:
            proof = ledger.inclusion_proof(entry.index, opened.size, node)
            ledger.verify_inclusion(ledger.leaf_hash(entry.leaf), entry.index, opened.size, proof, opened.root_hash)
        except ledger.LedgerError as exc:
            problems.append(Problem(INCLUSION, event.id, f"entry {entry.index} is not in checkpoint "
                                                         f"{opened.size}: {exc}"))
    problems.extend(_chain_problems(code, counted, entries, parsed, tip))
    order = tuple(e.id for e in sorted((e for e in counted if e.id in entries), key=lambda e: entries[e.id].index))
    last = max((entries[e].index for e in order), default=-1)
    return Verification(len(counted), opened.size, tuple(problems), order, last_entry=last)


def _chain_problems(code: str, events: Sequence[Event], entries: dict[str, LogEntry],
                    parsed: dict[str, tuple[dict[str, Any], list[dict[str, str]]]], tip: bytes | None) -> list[Problem]:
    """Name the gaps in a batch's chain: it begins with its registration, each record names the one before,
    and it ends at the batch's latest log entry (so deleting the newest records shows)."""
    logged = sorted((entries[e.id].index, e) for e in events if e.id in parsed)
    problems: list[Problem] = []
    if not logged or logged[0][1].stage != "registration":
        problems.append(Problem(CHAIN, None, f"the chain of {code} does not begin with its registration"))
    before: str | None = None
    for index, event in logged:
        prev = parsed[event.id][0].get("prev")
        named = prev.get(code) if isinstance(prev, dict) else None
        if named != before:
            problems.append(Problem(CHAIN, event.id, f"entry {index} does not follow the batch's previous record"))
        before = entries[event.id].leaf_hash.hex()
    if logged and (tip is None or tip.hex() != before):
        problems.append(Problem(CHAIN, None, f"the chain of {code} does not end at the batch's latest log entry: "
                                             "later records are missing"))
    return problems


def _signature_problem(record: dict[str, Any], signatures: list[dict[str, str]], keys: dict[str, SigningKey]
                       ) -> str | None:
    """Return why the record's signatures fail, or None when the organization's (and any device's) verify."""
    vouched = False
    for sig in signatures:
        key = keys.get(sig["keyId"])
        if key is None:
            return f"signed by an unknown key {sig['keyId'][:16]}…"
        try:
            raw = base64.b64decode(sig["sig"], validate=True)
        except (binascii.Error, ValueError):
            return "a signature is not base64"
        made = parse_time(record.get("recordedAt"))
        if key.revoked_at is not None and (made is None or key.revoked_at <= made):
            return f"key {key.name} was revoked before the record was made"
        message = ledger.device_view(record) if key.role == "device" else record
        if not ledger.verify_record(key.public_key, message, raw):
            return f"the signature by {key.name} does not verify"
        if policy.vouches(record, key.role, None if key.organization_id is None else str(key.organization_id)):
            vouched = True
    return None if vouched else f"no valid signature by {policy.expected_signer(record)}"
