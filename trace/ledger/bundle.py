"""Audit bundles: one JSON file with which an inspector verifies a batch's records offline.

Format ``suyuan-audit-bundle/v1`` (also in ``docs/audit-bundle.md``)::

    {
      "format": "suyuan-audit-bundle/v1",
      "origin": "trace.example-county.gov.cn/log",
      "checkpoint": "<C2SP signed note: tlog-checkpoint signed by the log key>",
      "batches": ["<trace code>", ...],
      "keys": [{"name", "vkey", "role", "org", "createdAt", "revokedAt"}, ...],
      "entries": [{"index": 17, "leaf": "<base64 leaf bytes>", "proof": ["<base64>", ...]}, ...],
      "facts": {"<trace code>": {"product": 3, "organization": "2", "lot": ..., ...}}
    }

- ``checkpoint`` is the log's signed tree head; its origin line must equal ``origin``.
- ``keys`` lists keys as ``GET /api/v1/log/keys`` does: ``role`` is ``log``,
  ``organization`` or ``device``; ``org`` the owning organization (or null); ``createdAt``
  and ``revokedAt`` RFC 3339 times (``revokedAt`` null while the key is valid).
- ``entries`` are log entries in ascending ``index``; ``leaf`` is the exact leaf bytes
  (JCS of ``{"record", "signatures"}``) and ``proof`` its RFC 9162 inclusion proof in the
  tree of the checkpoint's size. Base64 is standard with padding.
- ``batches`` (optional) names the trace codes whose entries the bundle holds in full, from
  the first; their ``prev`` chains are checked end to end. Without it, every code in a
  record's ``prev`` is checked that way.
- ``cosigned`` (optional): ``{"checkpoint": <the latest checkpoint witnesses cosigned, with their
  lines>, "proof": [<consistency proof from its size to the checkpoint's>]}``; ``consistency``
  (optional): ``{"old": N, "proof": [...]}`` from a size the requester kept (``?since=N``). Both
  are checked by ``trace.ledger.views`` (``--checkpoint``, ``--witness`` of the verifier).
- ``facts`` (optional) are the batch facts the service shows for each batch, in the form its
  registration record holds them (``trace.ledger.facts``); each must equal the batch's signed
  registration in the bundle after the corrections naming it.

``verify_bundle`` checks, against a log verifier key the inspector trusts: the checkpoint
signature; each entry's inclusion proof; each record signature (key known, signature valid
over the record, or over ``device_view(record)`` for device keys, key not revoked at or
before the record's ``recordedAt``; ``createdAt`` is informative only, since keys may be
created after a record's time when it is imported or replayed); a valid signature by the log key or by an
organization key of the record's ``org``; and the ``prev`` links between entries of the
same batch. Every problem is reported with the entry's log index and a reason code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from trace.ledger import policy
from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.errors import BundleFormatError, LedgerError
from trace.ledger.facts import fact_differences
from trace.ledger.keys import Verifier, device_view, parse_vkey, verify_record
from trace.ledger.merkle import hash_leaf, verify_inclusion
from trace.ledger.note import Checkpoint, open_checkpoint
from trace.ledger.records import parse_leaf

FORMAT = "suyuan-audit-bundle/v1"
ROLES = policy.ROLES


def bundle_entry(index: int, leaf: bytes, proof: Sequence[bytes]) -> dict[str, Any]:
    """Return one bundle entry: a log index, its leaf bytes and inclusion proof."""
    return {"index": index, "leaf": b64encode(leaf), "proof": [b64encode(h) for h in proof]}


def build_bundle(
    origin: str,
    checkpoint_note: str,
    keys: Iterable[dict[str, Any]],
    entries: Iterable[dict[str, Any]],
    batches: Iterable[str] | None = None,
    facts: dict[str, dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return an audit bundle document; entries come from ``bundle_entry``; ``extra`` adds cosigned/consistency."""
    doc: dict[str, Any] = {"format": FORMAT, "origin": origin, "checkpoint": checkpoint_note, **(extra or {})}
    if batches is not None:
        doc["batches"] = list(batches)
    doc["keys"] = [dict(k) for k in keys]
    doc["entries"] = sorted((dict(e) for e in entries), key=lambda e: e["index"])
    if facts is not None:
        doc["facts"] = facts
    check_bundle_shape(doc)
    return doc


def load_bundle(data: str | bytes) -> dict[str, Any]:
    """Parse bundle JSON text and check its shape."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleFormatError(f"not JSON: {exc}") from None
    check_bundle_shape(doc)
    return cast(dict[str, Any], doc)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BundleFormatError(message)


def check_bundle_shape(doc: Any) -> None:
    """Raise ``BundleFormatError`` unless ``doc`` has the fields and types of the format."""
    _require(isinstance(doc, dict), "bundle must be a JSON object")
    _require(doc.get("format") == FORMAT, f"format must be {FORMAT!r}")
    _require(isinstance(doc.get("origin"), str) and bool(doc["origin"]), "origin must be a non-empty string")
    _require(isinstance(doc.get("checkpoint"), str), "checkpoint must be a string")
    if "batches" in doc:
        batches = doc["batches"]
        _require(isinstance(batches, list) and all(isinstance(b, str) for b in batches), "batches must be strings")
    if "facts" in doc:
        facts = doc["facts"]
        _require(isinstance(facts, dict) and all(isinstance(f, dict) for f in facts.values()),
                 "facts must map trace codes to objects")
    for name, fields in (("cosigned", ("checkpoint", "proof")), ("consistency", ("old", "proof"))):
        if name in doc:
            part = doc[name]
            _require(isinstance(part, dict) and all(f in part for f in fields), f"{name} needs {' and '.join(fields)}")
            _require(isinstance(part["proof"], list) and all(isinstance(p, str) for p in part["proof"]),
                     f"{name}.proof must be strings")
    _require(isinstance(doc.get("keys"), list), "keys must be a list")
    for i, key in enumerate(doc["keys"]):
        _require(isinstance(key, dict), f"keys[{i}] must be an object")
        _require(
            isinstance(key.get("name"), str) and isinstance(key.get("vkey"), str), f"keys[{i}] needs name and vkey"
        )
        _require(key.get("role") in ROLES, f"keys[{i}].role must be one of {', '.join(ROLES)}")
        for name in ("org", "createdAt", "revokedAt"):
            _require(key.get(name) is None or isinstance(key[name], str), f"keys[{i}].{name} must be a string or null")
    _require(isinstance(doc.get("entries"), list), "entries must be a list")
    for i, entry in enumerate(doc["entries"]):
        _require(isinstance(entry, dict), f"entries[{i}] must be an object")
        index = entry.get("index")
        _require(
            isinstance(index, int) and not isinstance(index, bool) and index >= 0, f"entries[{i}].index must be >= 0"
        )
        _require(isinstance(entry.get("leaf"), str), f"entries[{i}].leaf must be a base64 string")
        proof = entry.get("proof")
        _require(
            isinstance(proof, list) and all(isinstance(p, str) for p in proof), f"entries[{i}].proof must be strings"
        )


@dataclass(frozen=True)
class BundleProblem:
    """One finding: the entry's log index (``None`` for the whole bundle), a code and a reason."""

    index: int | None
    code: str
    reason: str


@dataclass(frozen=True)
class EntrySummary:
    """What a verified entry says, for the report."""

    index: int
    record_id: str | None
    stage: str | None
    recorded_at: str | None
    signers: tuple[str, ...]


@dataclass
class BundleReport:
    """The outcome of ``verify_bundle``."""

    origin: str
    checkpoint: Checkpoint | None
    entries: list[EntrySummary] = field(default_factory=list)
    problems: list[BundleProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether the bundle verified without problems."""
        return not self.problems

    def codes_at(self, index: int | None) -> set[str]:
        """Return the problem codes reported for one entry index."""
        return {p.code for p in self.problems if p.index == index}


@dataclass(frozen=True)
class _Key:
    name: str
    role: str
    org: str | None
    revoked_at: datetime | None
    verifier: Verifier


def _parse_time(value: Any) -> datetime | None:
    """Return an aware datetime from RFC 3339 text, or ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _load_keys(entries: list[dict[str, Any]], log_verifier: Verifier, problems: list[BundleProblem]) -> dict[str, _Key]:
    keys = {log_verifier.key_id: _Key(log_verifier.name, "log", None, None, log_verifier)}
    for i, entry in enumerate(entries):
        try:
            verifier = parse_vkey(entry["vkey"])
        except LedgerError as exc:
            problems.append(BundleProblem(None, "key", f"keys[{i}] ({entry['name']}): {exc}"))
            continue
        if verifier.name != entry["name"]:
            problems.append(BundleProblem(None, "key", f"keys[{i}]: name {entry['name']!r} differs from its vkey"))
            continue
        times = {}
        for name in ("createdAt", "revokedAt"):
            times[name] = _parse_time(entry.get(name))
            if entry.get(name) is not None and times[name] is None:
                problems.append(
                    BundleProblem(None, "key", f"keys[{i}] ({verifier.name}): {name} is not an RFC 3339 time")
                )
        if verifier.key_id == log_verifier.key_id and entry["role"] != "log":
            problems.append(BundleProblem(None, "key", f"keys[{i}]: the log key is listed as {entry['role']}"))
            continue
        keys[verifier.key_id] = _Key(verifier.name, entry["role"], entry.get("org"), times["revokedAt"], verifier)
    return keys


def _check_signatures(
    index: int, record: dict[str, Any], signatures: list[dict[str, str]], keys: dict[str, _Key]
) -> tuple[list[BundleProblem], tuple[str, ...]]:
    problems: list[BundleProblem] = []
    signers: list[str] = []
    recorded_at = _parse_time(record.get("recordedAt"))
    if recorded_at is None:
        problems.append(BundleProblem(index, "record", "recordedAt is missing or not an RFC 3339 time"))
    vouched = False  # signed by the key the signature policy expects
    for sig in signatures:
        key = keys.get(sig["keyId"])
        if key is None:
            problems.append(BundleProblem(index, "unknown-key", f"signature by unknown key {sig['keyId'][:16]}"))
            continue
        signed = device_view(record) if key.role == "device" else record
        raw = b64decode_strict(sig["sig"], BundleFormatError, "signature")  # parse_leaf checked it
        if not verify_record(key.verifier.public_raw, signed, raw):
            problems.append(
                BundleProblem(index, "signature", f"signature by {key.role} key {key.name} does not verify")
            )
            continue
        if recorded_at is not None and key.revoked_at is not None and key.revoked_at <= recorded_at:
            problems.append(
                BundleProblem(
                    index,
                    "revoked-key",
                    f"{key.role} key {key.name} was revoked at {key.revoked_at.isoformat()}, "
                    f"not after the record's recordedAt {recorded_at.isoformat()}",
                )
            )
            continue
        signers.append(key.name)
        if policy.vouches(record, key.role, key.org):
            vouched = True
    if not vouched:
        problems.append(
            BundleProblem(index, "missing-signature", f"no valid signature by {policy.expected_signer(record)}")
        )
    return problems, tuple(signers)


def _touched_codes(record: dict[str, Any]) -> set[str]:
    codes = {c for c in record.get("batches") or [] if isinstance(c, str)}
    for name in ("inputs", "outputs"):
        for item in record.get(name) or []:
            if isinstance(item, dict) and isinstance(item.get("batch"), str):
                codes.add(item["batch"])
    return codes


def _check_chains(parsed: list[tuple[int, dict[str, Any], bytes]], complete: set[str] | None) -> list[BundleProblem]:
    problems: list[BundleProblem] = []
    if complete is None:
        complete = {c for _, r, _ in parsed if isinstance(r.get("prev"), dict) for c in r["prev"]}
    last: dict[str, tuple[int, str]] = {}  # code -> (index, hex leaf hash) of its latest entry so far
    for index, record, leaf_hash in sorted(parsed, key=lambda item: item[0]):
        prev = record.get("prev")
        if not isinstance(prev, dict):
            problems.append(BundleProblem(index, "prev-chain", "record has no prev object"))
            continue
        for code in sorted(_touched_codes(record) - prev.keys()):
            problems.append(BundleProblem(index, "prev-chain", f"prev has no link for {code}"))
        for code, link in sorted(prev.items()):
            if code not in complete:
                continue
            before = last.get(code)
            if before is None and link is not None:
                problems.append(
                    BundleProblem(
                        index, "prev-chain", f"prev[{code}] should be null: the bundle has no earlier entry for it"
                    )
                )
            elif before is not None and link != before[1]:
                problems.append(
                    BundleProblem(
                        index,
                        "prev-chain",
                        f"prev[{code}] does not name entry {before[0]}, the previous one for {code} in the bundle "
                        "(an entry is missing or was altered)",
                    )
                )
            last[code] = (index, leaf_hash.hex())
    return problems


def verify_bundle(bundle: dict[str, Any], log_vkey: str) -> BundleReport:
    """Verify an audit bundle against the trusted log verifier key; report every problem.

    Raises ``BundleFormatError`` if the document is not shaped like a bundle and
    ``KeyFormatError`` if ``log_vkey`` is malformed; everything else is a reported problem.
    """
    log_verifier = parse_vkey(log_vkey)
    check_bundle_shape(bundle)
    report = BundleReport(origin=bundle["origin"], checkpoint=None)
    problems = report.problems
    try:
        report.checkpoint = open_checkpoint(bundle["checkpoint"], log_verifier, bundle["origin"])
    except LedgerError as exc:
        problems.append(BundleProblem(None, "checkpoint", f"checkpoint not verified: {exc}"))
    keys = _load_keys(bundle["keys"], log_verifier, problems)
    parsed: list[tuple[int, dict[str, Any], bytes]] = []
    seen: set[int] = set()
    for entry in bundle["entries"]:
        index = entry["index"]
        if index in seen:
            problems.append(BundleProblem(index, "duplicate-index", "the bundle lists this index twice"))
            continue
        seen.add(index)
        try:
            leaf = b64decode_strict(entry["leaf"], BundleFormatError, "leaf")
            proof = [b64decode_strict(p, BundleFormatError, "proof hash") for p in entry["proof"]]
        except BundleFormatError as exc:
            problems.append(BundleProblem(index, "leaf", str(exc)))
            continue
        if report.checkpoint is not None:
            cp = report.checkpoint
            try:
                verify_inclusion(hash_leaf(leaf), index, cp.size, proof, cp.root_hash)
            except LedgerError as exc:
                problems.append(BundleProblem(index, "inclusion", f"not included in the checkpointed log: {exc}"))
        try:
            record, signatures = parse_leaf(leaf)
        except LedgerError as exc:
            problems.append(BundleProblem(index, "leaf", str(exc)))
            continue
        sig_problems, signers = _check_signatures(index, record, signatures, keys)
        problems.extend(sig_problems)
        parsed.append((index, record, hash_leaf(leaf)))
        report.entries.append(
            EntrySummary(
                index=index,
                record_id=_str_or_none(record.get("id")),
                stage=_str_or_none(record.get("stage")),
                recorded_at=_str_or_none(record.get("recordedAt")),
                signers=signers,
            )
        )
    complete = set(bundle["batches"]) if "batches" in bundle else None
    problems.extend(_check_chains(parsed, complete))
    problems.extend(_check_facts(bundle.get("facts") or {}, parsed))
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    return report


def _check_facts(facts: dict[str, dict[str, Any]], parsed: list[tuple[int, dict[str, Any], bytes]]
                 ) -> list[BundleProblem]:
    """Compare the facts the service shows for each batch with its signed registration after corrections."""
    problems: list[BundleProblem] = []
    for code, shown in sorted(facts.items()):
        found = [(i, r) for i, r, _ in parsed if r.get("stage") == "registration" and r.get("batches") == [code]]
        if not found:
            problems.append(BundleProblem(None, "facts", f"batch {code} has no registration record in the bundle"))
            continue
        index, registration = found[0]
        data = registration.get("data") if isinstance(registration.get("data"), dict) else {}
        corrections = [r.get("data") or {} for _, r, _ in parsed if r.get("stage") == "correction"
                       and (r.get("data") or {}).get("record") == registration.get("id")]
        differ = fact_differences(shown, data, corrections)
        if differ:
            problems.append(BundleProblem(index, "facts", f"batch {code} is shown with {', '.join(differ)} other "
                                                          "than its signed registration"))
    return problems


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
