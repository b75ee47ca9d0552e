"""EPCIS 2.0 JSON-LD: our events as ObjectEvents and TransformationEvents, and back.

Profile (docs/lineage.md, "EPCIS profile"):
- identifiers are class-level (a batch is a lot): ``{PUBLIC_URL}/01/{gtin14}/10/{lot}`` (GS1 Digital
  Link on our resolver) for products with a GTIN, ``{PUBLIC_URL}/t/{code}`` otherwise, always in
  quantity lists; organizations are ``{PUBLIC_URL}/org/uscc/{credit code}`` (or ``/org/{id}``);
- ``eventID`` is ``urn:uuid:{record id}`` (or the eventID a captured event came with, its CBV 2.0 event
  hash ID when it had none); ``bizStep`` the stage's CBV Web URI (``trace:`` for our
  extensions); ``readPoint`` a ``geo:`` URI when the record has coordinates; temperatures become a
  ``sensorElementList``; shipping and receiving carry ``sourceList``/``destinationList`` parties;
- ``trace:stage``, ``trace:org``, ``trace:actor``, ``trace:data`` (stage data, organization ids
  replaced by organization URIs), ``trace:location``, ``trace:sensors`` and ``trace:attachments``
  carry the rest of the record, so a document captured elsewhere replays to the same records;
- ``trace:extra`` (values of the category template's extra fields, name → value) and
  ``trace:templates`` (category code → template version) carry the data's ``extra`` and
  ``templates``; capture reads them back on any event;
- ``trace:extra`` (the category template's extra fields, name → value) and ``trace:templates``
  (category code → template version) carry the data's ``extra`` and ``templates``, on any event;
- the header's master data describes every batch (EPCClass) and organization the events name.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema

from trace.codes.digital_link import DigitalLinkError, digital_link_url, parse_digital_link_path
from trace.stages import stage as stage_named
from trace.stages.base import exact as exact  # re-exported: capture reads quantities with it
from trace.stages.base import json_number

NS = "https://suyuan.dev/ns/epcis/"
CONTEXT: list[Any] = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"trace": NS}]
CBV = "https://ref.gs1.org/cbv/"
EPC_CLASS = "urn:epcglobal:epcis:vtype:EPCClass"
ORGANIZATION = NS + "Organization"
SCHEMA_PATH = Path(__file__).with_name("EPCIS-JSON-Schema.json")
CHINA_OFFSET = "+08:00"
# Keys of stage data exported as extensions of their own (trace:extra, trace:templates).
EXTENSION_KEYS = ("extra", "templates")


number = json_number  # a quantity as a JSON number


def stamp(moment: dt.datetime) -> str:
    """Return an RFC 3339 UTC time with the microseconds kept."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    """Return an aware UTC datetime from an RFC 3339 string."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no offset")
    return moment.astimezone(dt.UTC)


def batch_uri(public_url: str, code: str, gtin: str | None, lot: str) -> str:
    """Return a batch's EPC class: GS1 Digital Link on our resolver when it has a GTIN, else its lookup URL."""
    if gtin:
        try:
            return digital_link_url(public_url, gtin, lot)
        except DigitalLinkError:
            pass  # a lot outside GS1 character set 82 cannot be a Digital Link
    return f"{public_url.rstrip('/')}/t/{code}"


def parse_batch_uri(uri: str) -> tuple[str, str] | tuple[str, str, str] | None:
    """Return ("code", code) or ("lgtin", gtin14, lot) for a batch URI of ours or GS1's, else None."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return None
    path = parts.path
    if "/t/" in path:
        return "code", unquote(path.rsplit("/t/", 1)[1])
    if "/01/" in path:
        try:
            key = parse_digital_link_path("/01/" + path.split("/01/", 1)[1])
        except DigitalLinkError:
            return None
        return "lgtin", key.gtin, key.lot
    return None


def organization_uri(public_url: str, org_id: int, credit_code: str | None) -> str:
    """Return an organization's party URI (by unified social credit code when it has one)."""
    base = public_url.rstrip("/")
    return f"{base}/org/uscc/{credit_code}" if credit_code else f"{base}/org/{org_id}"


def epcis_event(event: Any, batch_uris: dict[int, str], org_uris: dict[int, str]) -> dict[str, Any]:
    """Return one of our events as an EPCIS event."""
    lines = {role: [eb for eb in event.batches if eb.role == role] for role in ("subject", "input", "output")}
    data = dict(event.data or {})
    stage = stage_named(event.stage)
    out: dict[str, Any] = {
        "type": "TransformationEvent" if lines["input"] else "ObjectEvent",
        "eventID": event.epcis_event_id or f"urn:uuid:{event.id}",
        "eventTime": stamp(event.occurred_at),
        "eventTimeZoneOffset": CHINA_OFFSET,
        "recordTime": stamp(event.recorded_at),
    }
    if lines["input"]:
        out["inputQuantityList"] = [{"epcClass": batch_uris[eb.batch_id], "quantity": number(eb.quantity),
                                     "uom": eb.uom} for eb in lines["input"]]
        out["outputQuantityList"] = [{"epcClass": batch_uris[eb.batch_id], "quantity": number(eb.quantity),
                                      "uom": eb.uom} for eb in lines["output"]]
    else:
        out["action"] = stage.epcis_action
        single = len(lines["subject"]) == 1 and data.get("quantity") is not None
        out["quantityList"] = [
            {"epcClass": batch_uris[eb.batch_id],
             **({"quantity": number(Decimal(str(data["quantity"]))), "uom": data.get("uom") or eb.batch.uom}
                if single else {})}
            for eb in lines["subject"]
        ]
    out["bizStep"] = event.biz_step
    disposition = stage.disposition_of(data)
    if disposition:
        out["disposition"] = CBV + "Disp-" + disposition
    location = event.location or {}
    if location.get("latitude") is not None and location.get("longitude") is not None:
        out["readPoint"] = {"id": f"geo:{location['latitude']},{location['longitude']}"}
    field = stage.party_field
    if field and isinstance(data.get(field), int) and data[field] in org_uris:
        other, own = org_uris[data[field]], org_uris[event.organization_id]
        source, destination = (own, other) if stage.ships else (other, own)
        out["sourceList"] = [{"type": "owning_party", "source": source}]
        out["destinationList"] = [{"type": "owning_party", "destination": destination}]
        data[field] = other
    readings = [r for r in data.get("temperatures") or [] if isinstance(r, dict)] if stage.cold_chain else []
    if readings:
        out["sensorElementList"] = [{"sensorReport": [
            {"type": "Temperature", "value": number(Decimal(str(r["celsius"]))), "uom": "CEL", "time": r["time"]}
            for r in readings]}]
    out["trace:stage"] = event.stage
    out["trace:org"] = org_uris[event.organization_id]
    out["trace:actor"] = event.actor
    for key in EXTENSION_KEYS:
        if key in data:
            out[f"trace:{key}"] = data.pop(key)
    out["trace:data"] = data
    for key, value in (("location", event.location), ("sensors", event.sensors), ("attachments", event.attachments)):
        if value:
            out[f"trace:{key}"] = value
    return out


def batch_master(batch: Any, uri: str, org_uri: str) -> dict[str, Any]:
    """Return a batch's EPCClass master data entry."""
    product = batch.product
    attributes: list[dict[str, Any]] = [
        {"id": "trace:traceCode", "attribute": batch.trace_code},
        {"id": "trace:lot", "attribute": batch.lot},
        {"id": "trace:quantity", "attribute": format(batch.quantity.normalize(), "f")},
        {"id": "trace:uom", "attribute": batch.uom},
        {"id": "trace:organization", "attribute": org_uri},
        {"id": "trace:product", "attribute": {
            "name": product.name, "nameEn": product.name_en, "gtin": product.gtin,
            "category": product.category.code, "brand": product.brand, "regionalBrand": product.regional_brand,
            "certifications": product.certifications or []}},
    ]
    if batch.origin:
        attributes.append({"id": "trace:origin", "attribute": batch.origin})
    if batch.produced_at:
        attributes.append({"id": "trace:producedAt", "attribute": stamp(batch.produced_at)})
    return {"id": uri, "attributes": attributes}


def organization_master(org: Any, uri: str) -> dict[str, Any]:
    """Return an organization's master data entry."""
    return {"id": uri, "attributes": [
        {"id": "trace:name", "attribute": org.name},
        {"id": "trace:nameEn", "attribute": org.name_en or ""},
        {"id": "trace:kind", "attribute": org.kind},
        {"id": "trace:creditCode", "attribute": org.credit_code or ""},
        {"id": "trace:region", "attribute": {"province": org.province, "county": org.county,
                                              "township": org.township, "village": org.village}},
        {"id": "trace:contact", "attribute": {"name": org.contact_name, "phone": org.contact_phone}},
    ]}


def document(events: list[dict[str, Any]], batches: list[dict[str, Any]], organizations: list[dict[str, Any]],
             *, created: dt.datetime, sender: str) -> dict[str, Any]:
    """Return an EPCISDocument holding events and the master data they need."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": stamp(created),
        "sender": sender,
        "epcisHeader": {"epcisMasterData": {"vocabularyList": [
            {"type": EPC_CLASS, "vocabularyElementList": batches},
            {"type": ORGANIZATION, "vocabularyElementList": organizations},
        ]}},
        "epcisBody": {"eventList": events},
    }


def master_data(doc: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Return a document's batch and organization master data, each by URI, attributes as a dict."""
    batches: dict[str, dict[str, Any]] = {}
    organizations: dict[str, dict[str, Any]] = {}
    vocabularies = doc.get("epcisHeader", {}).get("epcisMasterData", {}).get("vocabularyList", [])
    for vocabulary in vocabularies:
        target = {EPC_CLASS: batches, ORGANIZATION: organizations, "trace:Organization": organizations}.get(
            vocabulary.get("type"))
        if target is None:
            continue
        for element in vocabulary.get("vocabularyElementList", []):
            target[element["id"]] = {_short(a["id"]): a.get("attribute") for a in element.get("attributes", [])}
    return batches, organizations


def _short(attribute_id: str) -> str:
    for prefix in ("trace:", NS):
        if attribute_id.startswith(prefix):
            return attribute_id[len(prefix):]
    return attribute_id


@cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def schema_errors(doc: Any, limit: int = 20) -> list[str]:
    """Return where and why a document breaks GS1's EPCIS JSON Schema (empty when it validates)."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"[:300] for e in errors[:limit]]


def extension_data(ev: dict[str, Any]) -> dict[str, Any]:
    """Return the stage data an event carries as extensions of its own (``trace:extra``, ``trace:templates``)."""
    return {key: ev[f"trace:{key}"] for key in EXTENSION_KEYS if ev.get(f"trace:{key}") is not None}
