"""What the recording pipeline takes and gives: record requests and their results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Service:
    """A record the server makes (registration, product, correction): already authorised by its caller."""

    organization_id: int  # who the record is of, and whose key signs it
    actor: str  # ``user:<id>`` or ``log:backfill``
    request_hash: str  # the retry digest of what the caller was asked for
    backfilled: bool = False  # signed by the log key: the organization never signed these facts


@dataclass(frozen=True, slots=True)
class Request:
    """One record to make.

    ``payload`` is a schema-loaded body: an event (``batches``), or a transformation when it has
    ``inputs``; a service record's payload holds ``id``, ``stage``, ``batches`` (trace codes),
    ``occurred_at`` and its finished ``data``. ``authorized``: the caller has checked that the
    actor may record it on these batches (a recall reaching other organizations' batches, a
    sensor's gateway).
    """

    payload: dict[str, Any]
    authorized: bool = False
    service: Service | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What became of a request: the record's id, whether it is new, and its log index."""

    id: str
    new: bool
    log_index: int | None
