"""Turn a public record into the page's content: one localised dict, rendered as HTML or sent as JSON."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString, ngettext, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trace.lookup.cold_chain import sensor_chain_view, shelf_life_view
from trace.lookup.details import amount, basis_texts, celsius_values, event_details, joined, org_name, stage_name
from trace.lookup.endorsed import endorsements
from trace.lookup.verdict import party_name, present_verdict
from trace.models import Batch, Event, Organization
from trace.schemas.stage_extra import NamedTemplates
from trace.services.compliance.compliance_rules import decimal, fmt
from trace.services.printing.labels import UnitScan
from trace.services.public.lookup import Photo, PublicRecord
from trace.services.quality.results import TestResult
from trace.services.records.corrections import current_events, effective_data
from trace.services.records.photos import derivative_widths
from trace.stages import STAGES, in_language
from trace.stages.inspection import BASIS_LABELS
from trace.stages.planting import AREA_UNITS
from trace.times import rfc3339, show_date, show_time

# What records name by a code, as the page names it (an unknown code shows as itself).
STATUSES = {"consumed": _l("Used in processing"), "recalled": _l("Recalled"), "destroyed": _l("Destroyed")}
TEST_KINDS = {"inspection": _l("Inspection"), "sampling": _l("Sampling"), "rapid_test": _l("Rapid test")}
RESULTS = {"pass": _l("Pass"), "fail": _l("Fail")}
def _named(names: dict[str, LazyString], code: Any) -> str:
    """Return the page's name of a code from a record, or the code itself when it has none."""
    found = names.get(str(code))
    return str(found) if found is not None else str(code)



def _is(event: Event, what: str) -> bool:
    """Tell whether an event's stage has a property (``cold_chain``, ``inspects``, ...)."""
    stage = STAGES.get(event.stage)
    return stage is not None and bool(getattr(stage, what))


def _stamp(moment: Any) -> str | None:
    return rfc3339(moment) if moment else None


def _region(org: Organization | None, lang: str) -> str:
    """Return where an organization is, as it typed it: largest first in Chinese, smallest first in English."""
    if org is None:
        return ""
    parts = [p for p in (org.province, org.county, org.township, org.village) if p]
    return "".join(parts) if lang == "zh" else ", ".join(reversed(parts))


def _product(batch: Batch, lang: str) -> dict[str, Any]:
    product, category = batch.product, batch.product.category
    return {
        "name": (product.name_en or product.name) if lang == "en" else product.name,
        "brand": product.brand, "regionalBrand": product.regional_brand, "gtin": product.gtin,
        "category": {"code": category.code, "name": category.name_en if lang == "en" else category.name_zh},
    }


def _batch(batch: Batch, lang: str) -> dict[str, Any]:
    status = batch.status if batch.status != "active" else None
    return {
        "code": batch.trace_code, "lot": batch.lot, "quantity": fmt(batch.quantity), "uom": batch.uom,
        "quantityText": amount(batch.quantity, batch.uom, lang),
        "producedAt": _stamp(batch.produced_at), "produced": show_date(batch.produced_at),
        "status": batch.status, "statusText": _named(STATUSES, status) if status else None,
    }


def _origin(batch: Batch, lang: str) -> dict[str, Any] | None:
    origin = batch.origin
    if not origin:
        return None
    area = decimal(origin.get("area"))
    label = AREA_UNITS.get(str(origin.get("areaUnit")))
    unit = in_language(label, lang) if label else ""
    lat, lon = origin.get("latitude"), origin.get("longitude")
    return {"name": origin.get("name"), "latitude": lat, "longitude": lon,
            "coordinates": f"{lat}, {lon}" if lat is not None and lon is not None else None,
            "area": f"{fmt(area)} {unit}".strip() if area is not None else None}


def _event(event: Event, lang: str, names: dict[int, Organization],
           corrections: list[dict[str, Any]], templates: NamedTemplates | None = None) -> dict[str, Any]:
    data, corrected, void = effective_data(event, corrections)
    reasons = pgettext("reasons separator", "; ").join(str(c.get("reason")) for c in corrections
                                                      if c.get("record") == event.id)
    return {
        "corrected": corrected, "void": void,
        "correctionNote": _("Voided: %(reasons)s", reasons=reasons) if void
        else _("Corrected: %(reasons)s", reasons=reasons) if corrected else None,
        "id": event.id, "stage": event.stage,
        "stageName": stage_name(event.stage, lang),
        "occurredAt": _stamp(event.occurred_at), "time": show_time(event.occurred_at),
        "organization": org_name(names.get(event.organization_id), lang),
        "details": event_details(event, lang, names, data, templates),
        "proof": f"/api/v1/events/{event.id}/tlog-proof",
    }


def _test_result(r: TestResult, lang: str) -> dict[str, Any]:
    """Return one test result as the page shows it: who signed it, on what basis; a laboratory only if it signed."""
    return {
        "record": r.record, "batch": r.batch, "href": f"/t/{r.batch}", "depth": r.depth, "source": r.source,
        "product": (r.product_en or r.product) if lang == "en" else r.product,
        "time": show_time(r.occurred_at), "date": show_date(r.occurred_at), "occurredAt": _stamp(r.occurred_at),
        "kind": r.kind, "kindText": _named(TEST_KINDS, r.kind), "result": r.result,
        "resultText": _named(RESULTS, r.result),
        "basis": r.basis, "basisText": in_language(BASIS_LABELS.get(r.basis, r.basis), lang),
        "signedBy": party_name(r.signer, lang), "lab": party_name(r.lab, lang),
        "sampledBy": party_name(r.sampler, lang), "requestedBy": party_name(r.requester, lang),
        "reportNumber": r.report_number,
        "items": [{"item": i.get("item"), "method": i.get("method"), "limit": _plain(i.get("limit")),
                   "measured": _plain(i.get("measured")), "unit": i.get("unit"), "result": i.get("result"),
                   "resultText": _named(RESULTS, i.get("result"))} for i in r.items],
    }


def _plain(value: Any) -> str | None:
    number = decimal(value)
    return fmt(number) if number is not None else None


def _certificate(event: Event, lang: str, names: dict[int, Organization]) -> dict[str, Any]:
    data = event.data if isinstance(event.data, dict) else {}
    basis = basis_texts(data, lang)
    return {"number": data.get("number"), "basis": basis, "basisText": joined(basis, lang),
            "time": show_time(event.occurred_at),
            "occurredAt": _stamp(event.occurred_at),
            "organization": org_name(names.get(event.organization_id), lang)}


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


def _cold_chain_text(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    rng = summary["range"]
    verdict = None
    if summary["withinRange"] is not None:
        verdict = _("Within the required range throughout") if summary["withinRange"] else \
            ngettext("%(num)s reading outside the required range", "%(num)s readings outside the required range",
                     summary["outside"])
    text = ngettext("%(num)s reading, lowest %(min)s °C, highest %(max)s °C",
                    "%(num)s readings, lowest %(min)s °C, highest %(max)s °C", summary["readings"],
                    min=summary["min"], max=summary["max"])
    range_text = _("required %(min)s to %(max)s °C", min=rng["min"], max=rng["max"]) if rng else None
    return {**summary, "text": text, "rangeText": range_text, "verdict": verdict}


def _photo(p: Photo, lang: str, product: str) -> dict[str, Any]:
    """Return a photo as the page shows it: WebP derivatives a few widths wide, and what it shows."""
    widths = derivative_widths(p.width)
    src = f"/photos/{p.sha256}/{{w}}.webp"
    caption = product if p.stage is None else " · ".join(
        part for part in (stage_name(p.stage, lang), show_date(p.occurred_at),
                          _("source batch %(code)s", code=p.batch) if p.batch else None) if part)
    middle = widths[min(1, len(widths) - 1)]
    return {"sha256": p.sha256, "src": src.format(w=middle), "srcset": ", ".join(f"{src.format(w=w)} {w}w"
                                                                               for w in widths),
            "width": middle, "height": max(1, round(p.height * middle / p.width)) if p.width else None,
            "caption": caption, "product": p.stage is None}


def _sources(record: PublicRecord, lang: str) -> list[dict[str, Any]]:
    """Return where the product came from at a glance: the batches upstream, each with producer, origin, tests."""
    tested = {r.batch for r in record.verification.results if r.result == "pass"}
    shown = []
    for b in record.sources[:4]:
        origin = (b.origin or {}).get("name") if isinstance(b.origin, dict) else None
        shown.append({"code": b.trace_code, "href": f"/t/{b.trace_code}",
                      "product": (b.product.name_en or b.product.name) if lang == "en" else b.product.name,
                      "producer": org_name(b.organization, lang), "region": _region(b.organization, lang),
                      "origin": origin, "tested": b.trace_code in tested, "recalled": b.status == "recalled"})
    return shown


def _recall(record: PublicRecord) -> dict[str, Any]:
    notices = [{"reason": r.reason, "origin": r.origin, "status": r.status,
                "openedAt": _stamp(r.opened_at), "opened": show_time(r.opened_at),
                "closedAt": _stamp(r.closed_at), "closed": show_time(r.closed_at),
                "fromElsewhere": r.origin != record.batch.trace_code} for r in record.recalls]
    return {"recalled": record.recalled, "notices": notices, "upstream": record.upstream_recalled,
            "banner": _("This batch has been recalled. Do not eat or sell it.") if record.recalled else None}


def _unit(unit: UnitScan | None, threshold: int) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"serial": unit.serial, "scanCount": unit.scan_count, "firstScannedAt": _stamp(unit.first_scanned_at),
            "firstScan": show_time(unit.first_scanned_at), "threshold": threshold,
            "warning": unit.scan_count > threshold}


def present_batch(record: PublicRecord, lang: str) -> dict[str, Any]:
    """Return the batch's page content in the page language: all of it but what depends on the code looked up.

    ``lang`` is the request's language (``zh`` or ``en``), in which gettext translates.
    """
    batch, names = record.batch, record.organizations
    producer = names.get(batch.organization_id) or batch.organization
    corrections = [e.data for e in record.events if e.stage == "correction"]
    current = current_events(record.events, corrections)
    vouched = endorsements(record.verification, lang)  # beside a recall or a failed result: not a safety claim
    product_name = (batch.product.name_en or batch.product.name) if lang == "en" else batch.product.name
    return {
        "lang": lang,
        "product": _product(batch, lang), "batch": _batch(batch, lang),
        "producer": {"name": org_name(producer, lang), "region": _region(producer, lang),
                     "phone": producer.contact_phone},
        "photos": [_photo(p, lang, product_name) for p in record.photos],
        "sources": _sources(record, lang),
        "origin": _origin(batch, lang),
        "inputs": [{"code": b.trace_code, "product": b.product.name, "href": f"/t/{b.trace_code}"}
                   for b in record.inputs],
        "timeline": [_event(e, lang, names, corrections, record.templates) for e in record.events
                     if not _is(e, "service_only")],
        "inspections": [_test_result(r, lang) for r in record.verification.results if not r.source],
        "sourceInspections": [_test_result(r, lang) for r in record.verification.results if r.source],
        "credentials": vouched,
        "certifications": vouched["certifications"],
        "certificates": [_certificate(e, lang, names) for e in current if _is(e, "certifies")],
        "coldChain": _cold_chain_text(cold_chain(current, batch.product.category.temperature_range)),
        "sensorChain": sensor_chain_view(record.cold_chain), "shelfLife": shelf_life_view(batch, lang),
        "recall": _recall(record),
        "verification": present_verdict(record.verification, batch.trace_code, lang,
                                        [e.organization_id for e in record.events], names, vouched["items"]),
    }


def with_target(base: dict[str, Any], *, code: str, unit: UnitScan | None, threshold: int,
                links: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the full page content: the batch's, plus the code looked up, the unit's counts and the links.

    ``base`` may be shared (cached); it is not changed.
    """
    rest = {k: v for k, v in base.items() if k != "lang"}
    return {"lang": base["lang"], "code": code, "kind": "unit" if unit else "batch", **rest,
            "unit": _unit(unit, threshold), "links": links}
