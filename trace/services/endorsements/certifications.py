"""Certifications: a producer declares a certificate it holds; an inspector or administrator verifies it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from trace.db import utcnow
from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.models import Attachment, Certification, CertificationProduct, Product, User
from trace.models.organization import Role
from trace.services.endorsements import china_today
from trace.services.endorsements.records import sign
from trace.services.endorsements.standing import certification_data, check_data, declared_until
from trace.services.organizations.permissions import require_role
from trace.services.signing.keys import LedgerConfig


def declare_certification(session: Session, actor: User, fields: dict[str, Any], *, ledger: LedgerConfig,
                          today: dt.date | None = None) -> Certification:
    """Record a certificate the actor's organization holds for some of its products (producers only).

    It stands as declared, not verified, until an inspector verifies it. ``today``: the day it
    is declared on (China date; the demo declares in the past).
    """
    require_role(actor, Role.PRODUCER)
    today = today or china_today()
    if fields["valid_until"] < fields["valid_from"]:
        raise ValidationError("证书有效期的结束早于开始。The certificate's validity ends before it begins.",
                              errors={"validUntil": ["Before validFrom."]})
    if fields["valid_until"] < today:
        raise ValidationError(f"证书已于 {fields['valid_until']} 过期，不能登记。"
                              f" The certificate expired on {fields['valid_until']}: it cannot be declared.",
                              errors={"validUntil": ["In the past."]})
    ids = sorted(set(fields["products"]))
    products = {p.id: p for p in session.scalars(sa.select(Product).where(Product.id.in_(ids)))}
    missing = [i for i in ids if i not in products]
    if missing:
        raise ValidationError("Unknown product.", errors={"products": [f"No product {i}." for i in missing]})
    others = [i for i in ids if products[i].organization_id != actor.organization_id]
    if others:
        raise PermissionDeniedError(f"Product {others[0]} belongs to another organization.")
    scan = None
    if fields.get("scan"):
        scan = session.get(Attachment, fields["scan"])
        if scan is None:
            raise ValidationError("The scan is not an uploaded attachment.",
                                  errors={"scan": ["Upload it first with POST /api/v1/attachments."]})
    cert = Certification(organization_id=actor.organization_id, kind=fields["kind"], issuer=fields["issuer"],
                         number=fields["number"], valid_from=fields["valid_from"], valid_until=fields["valid_until"],
                         scan_sha256=scan.sha256 if scan else None, record_id="")
    cert.products = [CertificationProduct(product_id=i) for i in ids]
    session.add(cert)
    session.flush()
    cert.scan = scan
    cert.record_id = sign(session, actor, "certification", certification_data(cert), ledger=ledger)
    session.flush()
    return cert


def verify_certification(session: Session, actor: User, certification_id: int, fields: dict[str, Any], *,
                         ledger: LedgerConfig) -> Certification:
    """Record an inspector's or administrator's verification (or rejection) of a certification, signed."""
    require_role(actor, Role.INSPECTOR, Role.ADMIN)
    cert = get_certification(session, certification_id)
    cert.check_result, cert.check_note = fields["result"], fields.get("note")
    cert.checked_by, cert.checked_at = actor.organization_id, utcnow()
    session.flush()
    cert.check_record_id = sign(session, actor, "certification_check", check_data(cert), ledger=ledger)
    session.flush()
    return cert


def get_certification(session: Session, certification_id: int) -> Certification:
    """Return a certification or raise NotFoundError."""
    cert = session.get(Certification, certification_id)
    if cert is None:
        raise NotFoundError(f"No certification {certification_id}.")
    return cert


def list_certifications(session: Session, organization_id: int | None = None,
                        product_id: int | None = None) -> list[Certification]:
    """Return certifications, optionally of one organization or covering one product."""
    query = sa.select(Certification).options(selectinload(Certification.products)).order_by(Certification.id)
    if organization_id is not None:
        query = query.where(Certification.organization_id == organization_id)
    if product_id is not None:
        query = query.where(Certification.id.in_(sa.select(CertificationProduct.certification_id)
                                                 .where(CertificationProduct.product_id == product_id)))
    return list(session.scalars(query))


def check_declared(entries: list[dict[str, Any]], today: dt.date | None = None) -> None:
    """Refuse free-text certifications in a product's master data that have expired already."""
    today = today or china_today()
    expired = {i: [f"Expired on {until}."] for i, e in enumerate(entries)
               if (until := declared_until(e)) is not None and until < today}
    if expired:
        raise ValidationError("证书已过期，不能标注在产品上。 A certification that has expired cannot be claimed "
                              "for a product.", errors={"certifications": expired})
