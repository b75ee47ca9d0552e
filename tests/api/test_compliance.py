"""Compliance endpoints: on-demand runs, listing with filters, resolving."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.helpers import assert_problem
from tests.services.genealogy import day
from trace.models import ComplianceFinding

FAIL = {"items": [{"item": "镉", "result": "fail"}], "result": "fail", "lab": "县检测站"}
PESTICIDE = {"inputType": "pesticide", "product": "多菌灵", "dose": "1", "doseUnit": "kg/亩",
             "registrationNumber": "PD1", "preHarvestIntervalDays": 14}


def seed(gen):
    """One critical finding (sale after a failed test) and one high (harvest inside the interval)."""
    sold, early = gen.raw(), gen.raw()
    gen.event("inspection", [sold], FAIL, at=day(20))
    gen.event("sale", [sold], {"channel": "market"}, at=day(21))
    gen.event("input", [early], PESTICIDE, at=day(10))
    gen.event("harvest", [early], {"quantity": "100", "uom": "KGM"}, at=day(15))
    return sold, early


def test_findings_are_listed_for_inspectors_with_filters(client, make, gen):
    sold, early = seed(gen)
    inspector = make.actor("inspector")
    r = client.get("/api/v1/compliance/findings", headers=inspector.headers)
    assert r.status_code == 200, r.json
    assert r.json["total"] == 2
    assert [(f["severity"], f["rule"], f["batch"]) for f in r.json["items"]] == [
        ("critical", "sale_after_failed_inspection", sold.trace_code),
        ("high", "pre_harvest_interval", early.trace_code)]
    first = r.json["items"][0]
    assert first["stage"] == "sale" and first["message"]["zh"] and first["message"]["en"].startswith("Sold after")
    only = client.get(f"/api/v1/compliance/findings?severity=high,medium&batch={early.trace_code}",
                      headers=inspector.headers)
    assert [f["rule"] for f in only.json["items"]] == ["pre_harvest_interval"]
    assert_problem(client.get("/api/v1/compliance/findings?severity=urgent", headers=inspector.headers),
                   422, "validation", "severity")
    assert_problem(client.get("/api/v1/compliance/findings", headers=gen.producer.headers), 403, "forbidden")


def test_resolving_takes_a_finding_off_the_open_list(client, make, gen):
    seed(gen)
    inspector = make.actor("inspector")
    finding = client.get("/api/v1/compliance/findings?severity=critical", headers=inspector.headers).json["items"][0]
    r = client.post(f"/api/v1/compliance/findings/{finding['id']}/resolve", json={"note": "已下架 withdrawn"},
                    headers=inspector.headers)
    assert r.status_code == 200, r.json
    assert r.json["resolvedAt"] and r.json["resolutionNote"] == "已下架 withdrawn"
    assert client.get("/api/v1/compliance/findings", headers=inspector.headers).json["total"] == 1
    assert client.get("/api/v1/compliance/findings?status=all", headers=inspector.headers).json["total"] == 2
    assert_problem(client.post(f"/api/v1/compliance/findings/{finding['id']}/resolve", json={"note": "x"},
                               headers=inspector.headers), 409, "conflict")


def test_on_demand_run_is_idempotent(client, make, gen, session):
    sold, _ = seed(gen)
    session.execute(sa.delete(ComplianceFinding))
    admin = make.actor("admin")
    first = client.post("/api/v1/compliance/run", json={}, headers=admin.headers)
    assert first.status_code == 200, first.json
    assert first.json["created"] == 2
    again = client.post("/api/v1/compliance/run", json={"batch": sold.trace_code}, headers=admin.headers)
    assert again.json == {"batches": 1, "created": 0, "open": 2}
    assert session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding)) == 2
    assert_problem(client.post("/api/v1/compliance/run", json={}, headers=gen.producer.headers), 403, "forbidden")
    both = {"batch": sold.trace_code, "from": "2026-01-01T00:00:00Z"}
    assert_problem(client.post("/api/v1/compliance/run", json=both,
                               headers=admin.headers), 422, "validation", "batch")
