"""Turn a public record into the page's content: one localised dict, rendered as HTML or sent as JSON."""

from __future__ import annotations

from typing import Any

from trace.lookup.details import amount, basis_texts, celsius_values, event_details, org_name, stage_name
from trace.lookup.endorsed import caution_mark, endorsements
from trace.lookup.i18n import Translator, show_date, show_time
from trace.models import Batch, Event, Organization
from trace.schemas.stage_extra import NamedTemplates
from trace.services.audit.verification import Verification
from trace.services.compliance.compliance_rules import decimal, fmt
from trace.services.printing.labels import UnitScan
from trace.services.public.lookup import PublicRecord
from trace.services.records.corrections import current_events, effective_data
from trace.stages import STAGES, in_language
from trace.stages.planting import AREA_UNITS
from trace.times import rfc3339


def _is(event: Event, what: str) -> bool:
    """Tell whether an event's stage has a property (``cold_chain``, ``inspects``, ...)."""
    stage = STAGES.get(event.stage)
    return stage is not None and bool(getattr(stage, what))


def _stamp(moment: Any) -> str | None:
    return rfc3339(moment) if moment else None


def _region(org: Organization) -> str:
    return "".join(p for p in (org.province, org.county, org.township, org.village) if p)


def _product(batch: Batch, t: Translator) -> dict[str, Any]:
    product, category = batch.product, batch.product.category
    return {
        "name": (product.name_en or product.name) if t.lang == "en" else product.name,
        "brand": product.brand, "regionalBrand": product.regional_brand, "gtin": product.gtin,
        "category": {"code": category.code, "name": category.name_en if t.lang == "en" else category.name_zh},
    }


def _batch(batch: Batch, t: Translator) -> dict[str, Any]:
    status = batch.status if batch.status != "active" else None
    return {
        "code": batch.trace_code, "lot": batch.lot, "quantity": fmt(batch.quantity), "uom": batch.uom,
        "quantityText": amount(batch.quantity, batch.uom, t),
        "producedAt": _stamp(batch.produced_at), "produced": show_date(batch.produced_at),
        "status": batch.status, "statusText": t(f"status_{status}") if status else None,
    }


def _origin(batch: Batch, t: Translator) -> dict[str, Any] | None:
    origin = batch.origin
    if not origin:
        return None
    area = decimal(origin.get("area"))
    label = AREA_UNITS.get(str(origin.get("areaUnit")))
    unit = in_language(label, t.lang) if label else ""
    lat, lon = origin.get("latitude"), origin.get("longitude")
    return {"name": origin.get("name"), "latitude": lat, "longitude": lon,
            "coordinates": f"{lat}, {lon}" if lat is not None and lon is not None else None,
            "area": f"{fmt(area)} {unit}".strip() if area is not None else None}


def _event(event: Event, t: Translator, names: dict[int, Organization],
           corrections: list[dict[str, Any]], templates: NamedTemplates | None = None) -> dict[str, Any]:
    data, corrected, void = effective_data(event, corrections)
    reasons = [c.get("reason") for c in corrections if c.get("record") == event.id]
    return {
        "corrected": corrected, "void": void,
        "correctionNote": t("voided", reasons="；".join(map(str, reasons))) if void
        else t("corrected", reasons="；".join(map(str, reasons))) if corrected else None,
        "id": event.id, "stage": event.stage,
        "stageName": stage_name(event.stage, t),
        "occurredAt": _stamp(event.occurred_at), "time": show_time(event.occurred_at),
        "organization": org_name(names.get(event.organization_id), t),
        "details": event_details(event, t, names, data, templates),
        "proof": f"/api/v1/events/{event.id}/tlog-proof",
    }


def _inspection(event: Event, t: Translator, names: dict[int, Organization]) -> dict[str, Any]:
    data = event.data if isinstance(event.data, dict) else {}
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    result = str(data.get("result") or "")
    kind = str(data.get("kind") or "inspection")
    return {
        "time": show_time(event.occurred_at), "occurredAt": _stamp(event.occurred_at),
        "kind": kind, "kindText": t.get(f"kind_{kind}", kind), "result": result, "resultText": t.get(result, result),
        "lab": data.get("lab"), "reportNumber": data.get("reportNumber"),
        "organization": org_name(names.get(event.organization_id), t),
        "items": [{"item": i.get("item"), "method": i.get("method"), "limit": _plain(i.get("limit")),
                   "measured": _plain(i.get("measured")), "unit": i.get("unit"), "result": i.get("result"),
                   "resultText": t.get(str(i.get("result")), str(i.get("result")))} for i in items],
    }


def _plain(value: Any) -> str | None:
    number = decimal(value)
    return fmt(number) if number is not None else None


def _certificate(event: Event, t: Translator, names: dict[int, Organization]) -> dict[str, Any]:
    data = event.data if isinstance(event.data, dict) else {}
    return {"number": data.get("number"), "basis": basis_texts(data, t), "time": show_time(event.occurred_at),
            "occurredAt": _stamp(event.occurred_at), "organization": org_name(names.get(event.organization_id), t)}


def cold_chain(events: list[Event], temperature_range: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the lowest and highest storage and transport temperatures, and whether they kept to the range."""
    values = [v for e in events if _is(e, "cold_chain") and isinstance(e.data, dict)
              for v in celsius_values(e.data.get("temperatures"))]
    if not values:
        return None
    rng = temperature_range or {}
    low, high = decimal(rng.get("min")), decimal(rng.get("max"))
    outside = sum(1 for v in values if (low is not None and v < low) or (high is not None and v > high))
    bounded = low is not None or high is not None
    return {"readings": len(values), "min": fmt(min(values)), "max": fmt(max(values)),
            "range": {"min": rng.get("min"), "max": rng.get("max")} if bounded else None,
            "withinRange": outside == 0 if bounded else None, "outside": outside}


def _cold_chain_text(summary: dict[str, Any] | None, t: Translator) -> dict[str, Any] | None:
    if summary is None:
        return None
    rng = summary["range"]
    verdict = None
    if summary["withinRange"] is not None:
        verdict = t("within_range") if summary["withinRange"] else t("outside_range", n=summary["outside"])
    return {**summary, "text": t("readings", n=summary["readings"], min=summary["min"], max=summary["max"]),
            "rangeText": t("required_range", min=rng["min"], max=rng["max"]) if rng else None, "verdict": verdict}


def _verification(v: Verification, code: str, t: Translator, alarm: bool) -> dict[str, Any]:
    if v.records == 0:
        state, text, mark = "empty", t("no_records"), t("no_records_mark")
    elif v.verified and alarm:  # a recall or a failed result leads: the mark claims the records, not safety
        state, text, mark = "verified-caution", t("verified", n=v.records, size=v.checkpoint_size), caution_mark(t)
    elif v.verified:
        state, text, mark = "verified", t("verified", n=v.records, size=v.checkpoint_size), t("verified_mark")
    else:
        state, text, mark = "failed", t("not_verified"), t("unverified_mark")
    kinds = list(dict.fromkeys(p.kind for p in v.problems)) if v.records else []
    return {
        "verified": v.verified, "state": state, "mark": mark, "text": text, "records": v.records,
        "checkpoint": v.checkpoint_size,
        "problems": [{"kind": p.kind, "event": p.event_id, "detail": p.detail} for p in v.problems],
        "problemTexts": [t.get(f"problem_{k}", k) for k in kinds],
        "proof": f"/t/{code}/proof", "auditBundle": f"/api/v1/batches/{code}/audit-bundle",
        "checkpointUrl": "/api/v1/log/checkpoint",
    }


def _recall(record: PublicRecord, t: Translator) -> dict[str, Any]:
    notices = [{"reason": r.reason, "origin": r.origin, "status": r.status,
                "openedAt": _stamp(r.opened_at), "opened": show_time(r.opened_at),
                "closedAt": _stamp(r.closed_at), "closed": show_time(r.closed_at),
                "fromElsewhere": r.origin != record.batch.trace_code} for r in record.recalls]
    return {"recalled": record.recalled, "notices": notices, "upstream": record.upstream_recalled,
            "banner": t("recalled_banner") if record.recalled else None}


def _unit(unit: UnitScan | None, threshold: int) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"serial": unit.serial, "scanCount": unit.scan_count, "firstScannedAt": _stamp(unit.first_scanned_at),
            "firstScan": show_time(unit.first_scanned_at), "threshold": threshold,
            "warning": unit.scan_count > threshold}


def present_batch(record: PublicRecord, t: Translator) -> dict[str, Any]:
    """Return the batch's page content, localised: all of it but what depends on the code looked up."""
    batch, names = record.batch, record.organizations
    producer = names.get(batch.organization_id) or batch.organization
    corrections = [e.data for e in record.events if e.stage == "correction"]
    current = current_events(record.events, corrections)
    inspections = [_inspection(e, t, names) for e in current if _is(e, "inspects")]
    latest = max((e for e in current if _is(e, "inspects")), key=lambda e: e.occurred_at, default=None)
    alarm = record.recalled or (latest is not None and (latest.data or {}).get("result") == "fail")
    vouched = endorsements(record.verification, t, alarm=alarm)
    return {
        "lang": t.lang,
        "product": _product(batch, t), "batch": _batch(batch, t),
        "producer": {"name": org_name(producer, t), "region": _region(producer), "phone": producer.contact_phone},
        "origin": _origin(batch, t),
        "inputs": [{"code": b.trace_code, "product": b.product.name, "href": f"/t/{b.trace_code}"}
                   for b in record.inputs],
        "timeline": [_event(e, t, names, corrections, record.templates) for e in record.events
                     if not _is(e, "service_only")],
        "inspections": inspections,
        "endorsements": vouched,
        "certifications": vouched["certifications"],
        "certificates": [_certificate(e, t, names) for e in current if _is(e, "certifies")],
        "coldChain": _cold_chain_text(cold_chain(current, batch.product.category.temperature_range), t),
        "recall": _recall(record, t),
        "verification": _verification(record.verification, batch.trace_code, t, alarm),
    }


def with_target(base: dict[str, Any], *, code: str, unit: UnitScan | None, threshold: int,
                links: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the full page content: the batch's, plus the code looked up, the unit's counts and the links.

    ``base`` may be shared (cached); it is not changed.
    """
    rest = {k: v for k, v in base.items() if k != "lang"}
    return {"lang": base["lang"], "code": code, "kind": "unit" if unit else "batch", **rest,
            "unit": _unit(unit, threshold), "links": links}
