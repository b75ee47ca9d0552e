"""Fixtures for the stage tests: record a stage through the API, export it as EPCIS, read its labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import ValidationError

from tests.factories import event_body
from trace.interop import epcis
from trace.models import Batch, Event, Organization
from trace.stages import Stage, in_language

PUBLIC = "https://trace.example.cn"


@pytest.fixture()
def record(client, session) -> Callable[..., Event]:
    """Record a stage on batches through POST /api/v1/events and return the stored event (201 asserted)."""

    def post(actor: Any, stage: str, batches: list[Batch], data: dict[str, Any]) -> Event:
        r = client.post("/api/v1/events", json=event_body(stage, batches, data), headers=actor.headers)
        assert r.status_code == 201, r.json
        for batch in batches:
            session.refresh(batch)
        return session.get(Event, r.json["id"])

    return post


@pytest.fixture()
def refused(client) -> Callable[..., dict[str, Any]]:
    """Post a stage the API must refuse with 422; return the problem's field errors under ``data``."""

    def post(actor: Any, stage: str, batches: list[Batch], data: dict[str, Any]) -> dict[str, Any]:
        r = client.post("/api/v1/events", json=event_body(stage, batches, data), headers=actor.headers)
        assert r.status_code == 422, r.json
        assert r.headers["Content-Type"] == "application/problem+json"
        return r.json["errors"].get("data", r.json["errors"])

    return post


@pytest.fixture()
def loads() -> Callable[[Stage, dict[str, Any]], dict[str, Any]]:
    """Load data with a stage's schema; return the field errors (empty when valid)."""

    def check(stage: Stage, data: dict[str, Any]) -> dict[str, Any]:
        try:
            stage.loader.load(data)
        except ValidationError as exc:
            return exc.normalized_messages()
        return {}

    return check


@pytest.fixture()
def as_epcis(session) -> Callable[[Event], dict[str, Any]]:
    """Export one event as EPCIS, as the export does (organization URIs by id)."""

    def export(event: Event) -> dict[str, Any]:
        orgs = {o.id: epcis.organization_uri(PUBLIC, o.id, None) for o in session.query(Organization)}
        batches = {eb.batch_id: epcis.batch_uri(PUBLIC, eb.batch.trace_code, None, eb.batch.lot)
                   for eb in event.batches}
        return epcis.epcis_event(event, batches, orgs)

    return export


@pytest.fixture()
def foreign() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Strip our profile's ``trace:`` fields from an exported event: what another system would send."""

    def strip(event: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in event.items() if not k.startswith("trace:")}

    return strip


@pytest.fixture()
def organization_by_uri(session) -> Callable[[str], int]:
    """Map an organization URI of the export back to its id (what capture's resolver does)."""

    def resolve(uri: str) -> int:
        return int(uri.rsplit("/", 1)[1])

    return resolve


@pytest.fixture()
def both(session) -> Callable[[Any], tuple[str, str]]:
    """Return a label in Chinese and in English."""

    def render(label: Any) -> tuple[str, str]:
        return in_language(label, "zh"), in_language(label, "en")

    return render
