"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://suyuan.dev/problems/"
# The tables a stage or transformation writes to: a refused request leaves them as they were.
LEDGER_TABLES = ("batches", "events", "event_batches", "batch_links")


def assert_problem(response: Any, status: int, slug: str, *fields: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem with that status and type, naming the fields in ``errors``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    for name in fields:
        assert name in body.get("errors", {}), body
    return body


def row_counts(session: Any, tables: tuple[str, ...] = LEDGER_TABLES) -> dict[str, int]:
    """Return the number of rows in each table."""
    return {t: session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}  # noqa: S608


BASE = "HTTPS://TRACE.EXAMPLE.CN"  # the test config's public URL, QR-friendly


GTIN = "06901234567892"
