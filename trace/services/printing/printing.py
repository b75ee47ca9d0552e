"""Printed codes for a batch: its QR code URL, label sheets, and 承诺达标合格证 issued as signed records.

A batch's QR code encodes its GS1 Digital Link (``/01/{gtin14}/10/{lot}``) when its product has a
GTIN, otherwise ``{PUBLIC_URL}/T/{CODE}``; both uppercase where case does not matter, so the
symbol stays in QR alphanumeric mode. A certificate is a ``certificate`` event: issuing one
records it (signed by the issuing organization, appended to the log), and the PDF is drawn
from that record, so a reprint states what was issued.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from trace.codes.certificate import CertificateInfo, PromiseBasis, certificate_pdf, certificate_qr_pdf
from trace.codes.digital_link import DigitalLinkError, digital_link_url
from trace.codes.labels import CHINESE_CAPTIONS, LAYOUTS, LabelCaptions, LabelInfo, labels_pdf
from trace.codes.qr import ErrorCorrection, lookup_url, qr_friendly_url
from trace.codes.tracecode import ALPHABET
from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from trace.ledger.policy import COMMISSIONED, SELF_CHECK, SUPERVISORY
from trace.limits import MAX_LABELS_PER_PRINT
from trace.models import Batch, Event, EventBatch, Organization, User
from trace.models.organization import Role
from trace.schemas.common import UNITS
from trace.services.catalog.shelf_life import best_before_day, shelf_life_of
from trace.services.printing.dates import local_date, made_on
from trace.services.printing.labels import get_run, run_units, unit_url
from trace.services.quality.results import SOURCE_FAILED, SOURCE_RECALLED, batch_quality
from trace.services.records.events import record_authorized, record_event
from trace.services.records.retry import record_id
from trace.services.signing.keys import LedgerConfig
from trace.stages import names
from trace.stages.certificate import Certificate

BASIS = {
    "commissioned_test": PromiseBasis.ENTRUSTED_TEST,
    "self_test": PromiseBasis.SELF_TEST,
    "quality_control": PromiseBasis.INTERNAL_CONTROL,
}


def batch_url(batch: Batch, public_url: str) -> str:
    """Return the URL a batch's QR code encodes: its Digital Link with a GTIN, else its /T/ lookup URL."""
    if batch.product.gtin:
        try:
            return qr_friendly_url(digital_link_url(public_url, batch.product.gtin, batch.lot))
        except DigitalLinkError:
            pass  # a lot outside GS1 character set 82 has no Digital Link; the trace code always works
    return lookup_url(public_url, batch.trace_code)


# Labels -----------------------------------------------------------------------------------------


def label_info(batch: Batch, url: str, serial: str | None = None) -> LabelInfo:
    """Return what a label of the batch shows: product, trace code, lot, harvest or production date, producer."""
    made = made_on(batch)
    return LabelInfo(
        url=url,
        product_name=batch.product.name,
        trace_code=batch.trace_code,
        lot=batch.lot,
        date=made[1].isoformat() if made else "",
        date_kind=made[0] if made else "produced",
        producer_name=batch.organization.name,
        serial=serial,
        best_before=day.isoformat() if (day := best_before_day(batch)) else None,
        best_before_kind=str((shelf_life_of(batch.product) or {}).get("kind", "best_before")),
    )


def default_label_count(layout: str) -> int:
    """Return how many labels a sheet of the layout holds (one on a thermal roll)."""
    return LAYOUTS[layout].per_page


def batch_labels(batch: Batch, public_url: str, count: int) -> list[LabelInfo]:
    """Return count identical labels of the batch, each with its QR code."""
    return [label_info(batch, batch_url(batch, public_url))] * count


def run_labels(session: Session, actor: User, batch: Batch, public_url: str, run_id: int, start: int,
               count: int | None) -> list[LabelInfo]:
    """Return one label per unit serial of a label run, from the start-th (serial order); at most a print's limit."""
    units = run_units(session, get_run(session, actor, batch, run_id))
    total = len(units)
    if start >= total:
        raise ValidationError(f"标签批次 {run_id} 只有 {total} 个序列号。Label run {run_id} has {total} serials.",
                            errors={"start": [f"Below {total}. 超出范围。"]})
    if count is None:
        count = total - start
        if count > MAX_LABELS_PER_PRINT:
            raise ValidationError(
                f"标签批次 {run_id} 有 {total} 个序列号，每次最多打印 {MAX_LABELS_PER_PRINT} 张，"
                "请用 start 与 count 分次打印。"
                f"Label run {run_id} has {total} serials; print at most {MAX_LABELS_PER_PRINT} at a time "
                "with start and count.",
                errors={"count": [f"Required: more than {MAX_LABELS_PER_PRINT} serials remain. 必填。"]})
    base = label_info(batch, "")
    return [dataclasses.replace(base, url=unit_url(public_url, batch, unit.serial), serial=unit.serial)
            for unit in units[start:start + count]]


def render_labels(labels: list[LabelInfo], layout: str, error_correction: ErrorCorrection = "M",
                  captions: LabelCaptions = CHINESE_CAPTIONS) -> bytes:
    """Return the label sheet PDF, captioned in the captions' language."""
    return labels_pdf(labels, layout, error_correction, captions)


# Certificates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate as its record states it, ready to print."""

    event: Event
    number: str
    product_name: str
    quantity: str
    origin: str
    issued_at: dt.datetime
    subject_name: str
    contact: str
    basis: tuple[str, ...]
    url: str
    trace_code: str
    issuer_name: str | None = None  # an administrator's organization that issued it for the producer (代开)
    tests: str = ""  # the signed results the batch and its sources have, by basis

    def fingerprint(self) -> str:
        """Return a text that changes whenever the printed card would (for ETags)."""
        printed = [getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "event"]
        return "|".join(map(str, [self.event.id, *printed]))

    def info(self) -> CertificateInfo:
        """Return what certificate_pdf draws."""
        day = local_date(self.issued_at)
        return CertificateInfo(
            number=self.number,
            product_name=self.product_name,
            quantity=self.quantity,
            origin=self.origin,
            issued_on=f"{day.year}年{day.month}月{day.day}日",
            subject_name=f"{self.subject_name}（{self.issuer_name}代开）" if self.issuer_name else self.subject_name,
            contact=self.contact,
            basis=frozenset(BASIS[code] for code in self.basis if code in BASIS),
            url=self.url,
            trace_code=self.trace_code,
            tests=self.tests,
        )


def require_issuer(actor: User, batch: Batch) -> None:
    """Raise unless the actor may issue a certificate for the batch: its producer's staff or an admin."""
    if actor.role == Role.ADMIN:
        return  # 代开: a county office issuing for a smallholder; the record says who issued it
    if actor.role != Role.PRODUCER or actor.organization_id != batch.organization_id:
        raise PermissionDeniedError(
            f"只有生产经营主体可以为批次 {batch.trace_code} 开具合格证。"
            f"Only the organization that produced batch {batch.trace_code} (or an administrator) may issue "
            "its certificate."
        )


def issue_certificate(
    session: Session, actor: User, batch: Batch, fields: dict[str, Any], *, ledger: LedgerConfig, public_url: str
) -> tuple[IssuedCertificate, bool]:
    """Record a signed, logged certificate event for the batch; return it and whether it is new.

    fields: basis (codes), and optionally id (idempotency key), number, quantity, uom, origin,
    contact; what is left out comes from the batch and its organization.
    """
    require_issuer(actor, batch)
    stored = session.get(Event, record_id(fields["id"])) if "id" in fields else None
    if stored is None:
        _check_batch(session, batch)
        _check_basis(session, batch, fields["basis"])
    # A retry is judged on what the client sent: what it left out (number, quantity, contact,
    # the time) is what the first issue filled in, so the one retry rule compares like with like.
    filled = _filled(stored, fields)
    payload = {
        "id": fields.get("id") or uuid.uuid4(),
        "stage": Certificate.name,
        "batches": [batch.trace_code],
        "occurred_at": stored.occurred_at if stored is not None else utcnow(),
        "data": _certificate_data(batch, filled),
        "attachments": [],
    }
    if actor.role == Role.ADMIN:
        # An administrator records for another organization's batch; the permission is checked above.
        (event,) = record_authorized(session, actor, [payload], ledger=ledger)
    else:
        event, _ = record_event(session, actor, payload, ledger=ledger)
    return certificate_view(event, batch, public_url), stored is None


def _filled(stored: Event | None, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the request's fields with what a first issue filled in for those it left out."""
    if stored is None:
        return fields
    data = stored.data or {}
    filled = {k: data[k] for k in ("number", "uom", "origin", "contact") if data.get(k) is not None}
    if data.get("quantity") is not None:
        filled["quantity"] = Decimal(str(data["quantity"]))
    return {**filled, **fields}


def _check_batch(session: Session, batch: Batch) -> None:
    """Refuse a promise the record already contradicts: a recalled, destroyed or failed batch."""
    if batch.status in ("recalled", "destroyed"):
        state = "已召回" if batch.status == "recalled" else "已销毁"
        raise ConflictError(
            f"批次 {batch.trace_code} {state}，不能开具合格证。"
            f"Batch {batch.trace_code} is {batch.status}; no certificate can be issued for it."
        )
    last = session.scalar(
        sa.select(Event)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id, Event.stage.in_(names(lambda s: s.inspects)))
        .order_by(Event.occurred_at.desc(), Event.recorded_at.desc())
        .limit(1)
    )
    if last is not None and (last.data or {}).get("result") == "fail":
        raise ConflictError(
            f"批次 {batch.trace_code} 最近一次检测不合格，不能承诺达标。"
            f"The latest inspection of batch {batch.trace_code} failed; it cannot be certified.",
            inspection=last.id,
        )


def _check_basis(session: Session, batch: Batch, basis: list[str]) -> None:
    """Refuse a promise its sources contradict, and 委托检测 with no laboratory's signed result to rest on."""
    quality = batch_quality(session, batch)
    leading = [c for c in quality.cautions if c.kind in (SOURCE_FAILED, SOURCE_RECALLED)]
    if leading:
        codes = ", ".join(dict.fromkeys(c.batch for c in leading))
        raise ConflictError(f"原料批次 {codes} 检测不合格或已召回，不能承诺达标。"
                            f" Source batch {codes} failed a test or was recalled; batch {batch.trace_code} "
                            "cannot be certified.")
    if "commissioned_test" in basis and not any(r.lab is not None and not r.failed for r in quality.results):
        raise ValidationError(
            "委托检测须有检测机构签名的合格结果（本批次或其原料批次）。"
            f" 委托检测 needs a passed result signed by a laboratory, for batch {batch.trace_code} or a batch it "
            "was made from: request a test (stage test_request) and let the laboratory answer it.",
            errors={"basis": ["No laboratory-signed result. 无检测机构签名的结果。"]})


def results_line(session: Session, batch: Batch) -> str:
    """Return the card's line of the producer's signed results by basis, and how many are of source batches.

    Supervisory samples (监督抽检) are the authority's, not a basis of the producer's promise: they
    show on the page, not on the card.
    """
    results = [r for r in batch_quality(session, batch).results if r.basis != SUPERVISORY]
    counts = {b: sum(1 for r in results if r.basis == b) for b in (COMMISSIONED, SELF_CHECK)}
    sources = sum(1 for r in results if r.source)
    if not results:
        return "检测记录：无 no test on record"
    return (f"检测记录：委托检测 {counts[COMMISSIONED]} 份 · 自检 {counts[SELF_CHECK]} 份"
            + (f"（含原料检测 {sources} 份）" if sources else ""))


def _certificate_data(batch: Batch, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the certificate event's data: what the card will state, defaults filled in."""
    uom = fields.get("uom", batch.uom)
    quantity = fields.get("quantity")
    if quantity is None:
        if uom != batch.uom:
            raise ValidationError("State the quantity when it is in another unit. 单位不同时请填写数量。",
                                  errors={"quantity": [f"Required with a unit other than {batch.uom}. 必填。"]})
        quantity = batch.available
        if quantity <= 0:
            raise ValidationError(
                f"批次 {batch.trace_code} 已无可用数量，请填写数量。Nothing of batch {batch.trace_code} is available; "
                "state the quantity.", errors={"quantity": ["Required: nothing is available. 必填。"]})
    elif uom == batch.uom and quantity > batch.quantity:
        raise ValidationError(
            f"数量超过批次总量。The quantity is more than the batch's {batch.quantity.normalize():f} {batch.uom}.",
            errors={"quantity": [f"At most {batch.quantity.normalize():f} {batch.uom}. 超过批次总量。"]})
    contact = fields.get("contact") or default_contact(batch)
    if not contact:
        raise ValidationError(
            "合格证须有联系方式，本组织未登记联系电话。The certificate needs a contact and the organization has none.",
            errors={"contact": ["Required: the organization has no contact. 必填。"]})
    return {
        "number": fields.get("number") or new_certificate_number(),
        "basis": [code for code in BASIS if code in fields["basis"]],  # the template's order
        "quantity": format(Decimal(quantity).normalize(), "f"),
        "uom": uom,
        "origin": fields.get("origin") or default_origin(batch),
        "contact": contact,
    }


def new_certificate_number() -> str:
    """Return a fresh certificate number, HGZ-<local date>-<6 random characters>."""
    day = local_date(utcnow()).strftime("%Y%m%d")
    return f"HGZ-{day}-{''.join(secrets.choice(ALPHABET) for _ in range(6))}"


def default_origin(batch: Batch) -> str:
    """Return 产地 from the organization's region and the batch's plot, saying each place once.

    A plot named after its village (横山村茶园) follows the township without the village again.
    """
    org = batch.organization
    parts = [part for part in (org.province, org.county, org.township, org.village) if part]
    plot = " ".join(str((batch.origin or {}).get("name") or "").split())
    if not plot:
        return "".join(parts)
    for start in range(len(parts)):
        if plot.startswith("".join(parts[start:])):
            return "".join(parts[:start]) + plot
    return f"{''.join(parts)} {plot}" if parts else plot


def default_contact(batch: Batch) -> str:
    """Return 联系方式 from the organization's contact person and phone."""
    org = batch.organization
    return " ".join(part for part in (org.contact_name, org.contact_phone) if part)


def certificate_view(event: Event, batch: Batch, public_url: str) -> IssuedCertificate:
    """Return what a certificate event states; records without quantity, origin or contact use the batch's."""
    data = event.data or {}
    uom = data.get("uom") or batch.uom
    quantity = Decimal(str(data["quantity"])) if data.get("quantity") is not None else batch.quantity
    unit = UNITS.get(uom, (uom,))[0]
    return IssuedCertificate(
        event=event,
        number=str(data.get("number", "")),
        product_name=batch.product.name,
        quantity=f"{quantity.normalize():f} {unit}",
        origin=data.get("origin") or default_origin(batch),
        issued_at=event.occurred_at,
        subject_name=batch.organization.name,
        contact=data.get("contact") or default_contact(batch),
        basis=tuple(data.get("basis", [])),
        url=batch_url(batch, public_url),
        trace_code=batch.trace_code,
        issuer_name=None if event.organization_id == batch.organization_id else _organization_name(event),
        tests=results_line(object_session(event), batch),  # type: ignore[arg-type]
    )


def _organization_name(event: Event) -> str:
    issuer = object_session(event).get(Organization, event.organization_id)  # type: ignore[union-attr]
    return issuer.name if issuer is not None else str(event.organization_id)


def find_certificate(session: Session, batch: Batch, event_id: str | None = None) -> Event:
    """Return the batch's latest certificate event, or the one with that id; NotFoundError if none."""
    query = (
        sa.select(Event)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id, EventBatch.role == "subject", Event.stage == Certificate.name)
    )
    if event_id is not None:
        event = session.scalar(query.where(Event.id == event_id))
        if event is None:
            raise NotFoundError(f"批次 {batch.trace_code} 没有编号为 {event_id} 的合格证记录。"
                                f"Batch {batch.trace_code} has no certificate record {event_id}.")
        return event
    event = session.scalar(query.order_by(Event.occurred_at.desc(), Event.recorded_at.desc()).limit(1))
    if event is None:
        raise NotFoundError(
            f"批次 {batch.trace_code} 尚未开具承诺达标合格证；"
            f"请先开具：POST /api/v1/batches/{batch.trace_code}/certificate。"
            f"No certificate has been issued for batch {batch.trace_code} yet; issue one with "
            f"POST /api/v1/batches/{batch.trace_code}/certificate."
        )
    return event


def render_certificate(certificate: IssuedCertificate, form: str = "card") -> bytes:
    """Return the certificate as a PDF: the A6 card, or its QR form (``qr``, a thermal sticker)."""
    return (certificate_qr_pdf if form == "qr" else certificate_pdf)(certificate.info())
