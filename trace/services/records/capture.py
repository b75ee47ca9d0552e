"""Capture: import an EPCIS 2.0 document, all or nothing, idempotent by eventID.

Events replay through the normal recording path (validated, signed by their organization's
key, logged, checked for compliance), oldest first. Documents in our profile (trace/interop/
epcis.py) replay exactly: master data creates the organizations, products and batches that
are missing, with their trace codes. Other EPCIS events are taken for the stages they map to
(storing, shipping, receiving, retail_selling, packing, commissioning) on batches we know.

Producers capture their own organization's events. Admins capture anyone's (a data migration);
each organization's events are then recorded by its "EPCIS import" member, so the record's
actor says it came in through capture.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.orm import Session

from trace.codes.gtin import GtinError, normalize_gtin
from trace.codes.tracecode import TraceCodeError, parse_trace_code
from trace.errors import ConflictError, PayloadTooLargeError, PermissionDeniedError, TraceError, ValidationError
from trace.interop import epcis
from trace.interop.event_hash import event_hash_id
from trace.models import Batch, Category, Event, Organization, Product, User
from trace.models.organization import OrganizationKind, Role
from trace.schemas.events import EventIn, TransformationIn
from trace.services.catalog.catalog import create_product
from trace.services.organizations.organizations import add_member, create_organization
from trace.services.organizations.permissions import require_role
from trace.services.records.batches import new_batch
from trace.services.records.events import record_authorized, record_event, record_transformation
from trace.services.signing.keys import LedgerConfig
from trace.stages import STAGES, by_captured_biz_step
from trace.stages import stage as stage_named

IMPORT_MEMBER = "epcis-import"


def event_uuid(event_id: str) -> str:
    """Return our record id for an eventID: the UUID of a urn:uuid, else a name-based UUID (UUIDv5).

    An event without an eventID is named by its CBV 2.0 event hash ID (interop/event_hash.py).
    """
    if event_id.lower().startswith("urn:uuid:"):
        try:
            return str(uuid.UUID(event_id[9:]))
        except ValueError:
            pass
    return str(uuid.uuid5(uuid.NAMESPACE_URL, event_id))


def _kept(given: str, event_id: str) -> str | None:
    """Return the eventID to keep for exports: None when it is our urn:uuid:{id} anyway."""
    return None if given.lower() == f"urn:uuid:{event_id}" else given


def _bare(step: str) -> str:
    for prefix in (epcis.CBV + "BizStep-", "urn:epcglobal:cbv:bizstep:"):
        if step.startswith(prefix):
            return step[len(prefix):]
    return step


class _Capture:
    def __init__(self, session: Session, actor: User, ledger: LedgerConfig, doc: dict[str, Any]) -> None:
        self.session, self.actor, self.ledger = session, actor, ledger
        self.batch_md, self.org_md = epcis.master_data(doc)
        self.orgs: dict[str, Organization] = {}
        self.members: dict[int, User] = {}
        self.outputs = {q["epcClass"] for e in doc["epcisBody"]["eventList"] for q in e.get("outputQuantityList", [])}
        self.context, self.events = doc.get("@context"), doc["epcisBody"]["eventList"]

    # --- master data -------------------------------------------------------------------------
    def org(self, uri: str) -> Organization:
        if uri in self.orgs:
            return self.orgs[uri]
        md = self.org_md.get(uri) or {}
        found = None
        if md.get("creditCode"):
            found = self.session.scalar(sa.select(Organization).where(Organization.credit_code == md["creditCode"]))
        elif md.get("name"):
            found = self.session.scalar(sa.select(Organization).where(
                Organization.name == md["name"], Organization.kind == md.get("kind")).order_by(Organization.id))
        if found is None:
            if not md or self.actor.role != Role.ADMIN:
                raise ValidationError(f"Unknown organization {uri}.", errors={"organization": [uri]})
            region = md.get("region") or {}
            found = create_organization(self.session, None, {
                "kind": md.get("kind") or OrganizationKind.ENTERPRISE.value, "name": md["name"],
                "name_en": md.get("nameEn") or None, "credit_code": md.get("creditCode") or None,
                "region": {"province": region.get("province") or "-", "county": region.get("county") or "-",
                           "township": region.get("township"), "village": region.get("village")},
                "contact": md.get("contact") or {},
            })
        self.orgs[uri] = found
        return found

    def member(self, org: Organization) -> User:
        """Return who records an organization's events: the capturing producer, or its import member."""
        if self.actor.role == Role.PRODUCER:
            if org.id != self.actor.organization_id:
                raise PermissionDeniedError(f"{org.name}'s events are not yours to capture.")
            return self.actor
        if org.id not in self.members:
            role = "inspector" if org.kind == OrganizationKind.INSPECTION_AGENCY else "producer"
            user = self.session.scalar(
                sa.select(User).where(User.organization_id == org.id, User.name == IMPORT_MEMBER))
            self.members[org.id] = user or add_member(self.session, None, org, IMPORT_MEMBER, role)
        return self.members[org.id]

    def product(self, org: Organization, md: dict[str, Any]) -> Product:
        gtin = md.get("gtin")
        if gtin:
            try:
                gtin = normalize_gtin(gtin)
            except GtinError as exc:
                raise ValidationError("Invalid GTIN in master data.", errors={"gtin": [str(exc)]}) from exc
            found = self.session.scalar(sa.select(Product).where(Product.gtin == gtin))
        else:
            found = self.session.scalar(
                sa.select(Product).join(Category, Category.id == Product.category_id)
                .where(Product.organization_id == org.id, Product.name == md.get("name"),
                       Category.code == md.get("category"), Product.gtin.is_(None)).order_by(Product.id))
        if found is not None:
            return found
        return create_product(self.session, self.member(org), {
            "category": md.get("category"), "name": md.get("name"), "name_en": md.get("nameEn"), "gtin": gtin,
            "brand": md.get("brand"), "regional_brand": md.get("regionalBrand"),
            "certifications": md.get("certifications") or [],
        }, ledger=self.ledger, captured=True)

    def _code(self, uri: str) -> str | None:
        md = self.batch_md.get(uri) or {}
        key = epcis.parse_batch_uri(uri)
        text = md.get("traceCode") or (key[1] if key and key[0] == "code" else None)
        if text is None:
            return None
        try:
            return parse_trace_code(text)
        except TraceCodeError as exc:
            raise ValidationError(f"Bad trace code for {uri}: {exc}", errors={"epcClass": [uri]}) from exc

    def find_batch(self, uri: str) -> Batch | None:
        code = self._code(uri)
        if code is not None:
            return self.session.scalar(sa.select(Batch).where(Batch.trace_code == code))
        key = epcis.parse_batch_uri(uri)
        if key and key[0] == "lgtin":
            _, gtin, lot = cast(tuple[str, str, str], key)  # an lgtin key is (kind, gtin, lot)
            return self.session.scalar(sa.select(Batch).join(Product, Product.id == Batch.product_id)
                                       .where(Product.gtin == gtin, Batch.lot == lot))
        return None

    def batch(self, uri: str) -> Batch:
        found = self.find_batch(uri)
        if found is not None:
            return found
        md = self.batch_md.get(uri)
        if md is None or uri in self.outputs:
            raise ValidationError(f"Unknown batch {uri}: describe it in the header's master data.",
                                  errors={"epcClass": [uri]})
        org = self.org(md["organization"])
        produced = md.get("producedAt")
        return new_batch(self.session, self.member(org), self.product(org, md.get("product") or {}), md["lot"],
                         Decimal(epcis.exact(md["quantity"])), md["uom"], md.get("origin"),
                         epcis.parse_time(produced) if produced else None, trace_code=self._code(uri),
                         ledger=self.ledger)

    # --- events ------------------------------------------------------------------------------
    def _stage_and_data(self, ev: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if "trace:stage" in ev:
            given = dict(ev.get("trace:data") or {})
            field = stage_named(ev["trace:stage"]).party_field
            if field and isinstance(given.get(field), str):
                given[field] = self.org(given[field]).id
            return ev["trace:stage"], given
        stage = by_captured_biz_step(_bare(str(ev.get("bizStep", ""))))
        if stage is None or ev["type"] != "ObjectEvent":
            supported = sorted(step for s in STAGES.values() for step in s.captured_biz_steps)
            raise ValidationError(f"Cannot map bizStep {ev.get('bizStep')} of a {ev['type']} to a stage.",
                                  errors={"bizStep": [f"Supported: {', '.join(supported)}."]})
        data = stage.from_epcis(ev, lambda uri: self.org(uri).id)
        return stage.name, {k: v for k, v in data.items() if v is not None}

    def _owner(self, ev: dict[str, Any]) -> Organization:
        if "trace:org" in ev:
            return self.org(ev["trace:org"])
        if self.actor.role == Role.PRODUCER:
            return self.actor.organization
        raise ValidationError("Say whose event it is with trace:org.", errors={"trace:org": ["Required."]})

    def event(self, ev: dict[str, Any]) -> tuple[str, bool]:
        """Record one EPCIS event; return our id and whether it is new.

        A stored id is judged by the one retry rule when the event is recorded: the same content
        returns it, other content is a 409.
        """
        try:
            given = ev.get("eventID") or event_hash_id(ev, self.context, document_events=self.events)
        except (IndexError, TypeError, AttributeError) as exc:  # a shape the schema allows but the hash cannot read
            raise ValidationError("无法计算事件哈希标识，请提供 eventID。"
                                  "Cannot compute the event hash ID; send an eventID.",
                                  errors={"eventID": ["必填。Required."]}) from exc
        event_id = event_uuid(given)
        stored = self.session.get(Event, event_id)
        stage, data = self._stage_and_data(ev)
        data.update(epcis.extension_data(ev))
        user = self.member(self._owner(ev))
        common = {"id": event_id, "stage": stage, "occurredAt": ev["eventTime"], "data": data}
        if ev.get("trace:location"):
            common["location"] = ev["trace:location"]
        try:
            if ev["type"] == "TransformationEvent":
                return event_id, self._transformation(ev, user, common, stored, _kept(given, event_id))
            body = {**common, "batches": [self.batch(q["epcClass"]).trace_code for q in ev.get("quantityList", [])],
                    "attachments": ev.get("trace:attachments") or []}
            if ev.get("trace:sensors"):
                body["sensors"] = ev["trace:sensors"]
            payload = {**EventIn().load(body), "epcis_event_id": _kept(given, event_id)}
        except SchemaValidationError as exc:
            raise ValidationError("The event does not make a valid record.", errors=exc.normalized_messages()) from exc
        if self.actor.role == Role.ADMIN:
            record_authorized(self.session, user, [payload], ledger=self.ledger)
        else:
            record_event(self.session, user, payload, ledger=self.ledger)
        return event_id, stored is None

    def _transformation(self, ev: dict[str, Any], user: User, common: dict[str, Any], stored: Event | None,
                        kept: str | None) -> bool:
        inputs = [{"batch": self.batch(q["epcClass"]).trace_code, "quantity": epcis.exact(q["quantity"]),
                   "uom": q.get("uom")} for q in ev.get("inputQuantityList", [])]
        outputs, codes = [], []
        for q in ev.get("outputQuantityList", []):
            md = self.batch_md.get(q["epcClass"])
            if md is None:
                raise ValidationError(f"Describe output {q['epcClass']} in the master data.",
                                      errors={"outputQuantityList": [q["epcClass"]]})
            if stored is None and self.find_batch(q["epcClass"]) is not None:  # a retry made them
                raise ConflictError(f"Output {q['epcClass']} exists already: outputs are always new batches.")
            product = self.product(self.org(md["organization"]), md.get("product") or {})
            outputs.append({"product": product.id, "lot": md["lot"], "quantity": epcis.exact(q["quantity"]),
                            "uom": q.get("uom") or md["uom"], "origin": md.get("origin")})
            codes.append(self._code(q["epcClass"]))
        body = {**common, "inputs": inputs, "outputs": [{k: v for k, v in o.items() if v is not None} for o in outputs]}
        payload = {**TransformationIn().load(body), "epcis_event_id": kept}
        for line, code in zip(payload["outputs"], codes, strict=True):
            line["code"] = code
        record_transformation(self.session, user, payload, ledger=self.ledger)
        return stored is None


def capture_document(session: Session, actor: User, doc: Any, *, ledger: LedgerConfig, limit: int) -> dict[str, Any]:
    """Validate an EPCIS document against GS1's schema and record its events, all or nothing."""
    require_role(actor, Role.PRODUCER, Role.ADMIN)
    errors = epcis.schema_errors(doc)
    if errors:
        raise ValidationError("The document does not validate against the EPCIS 2.0 JSON Schema.",
                              errors={"document": errors})
    if doc.get("type") != "EPCISDocument":
        raise ValidationError("Send an EPCISDocument.", errors={"type": ["Must be EPCISDocument."]})
    events = doc["epcisBody"]["eventList"]
    if len(events) > limit:
        raise PayloadTooLargeError(f"A capture holds at most {limit:,} events; split the document.")
    capture = _Capture(session, actor, ledger, doc)
    order = sorted(range(len(events)), key=lambda i: (epcis.parse_time(events[i]["eventTime"]), i))
    ids, created = [], 0
    for i in order:
        try:
            event_id, new = capture.event(events[i])
        except TraceError as exc:
            exc.detail = f"eventList[{i}]: {exc.detail}"
            exc.errors = {"eventList": {i: exc.errors or {"_": [exc.detail]}}}
            raise
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise ValidationError(f"eventList[{i}]: cannot read the event ({exc!r}).",
                                  errors={"eventList": {i: {"_": [repr(exc)]}}}) from exc
        ids.append(event_id)
        created += new
    return {"captured": created, "replayed": len(ids) - created, "events": ids}

