"""What stands today: a product's certifications and brand claim, and the facts their signed records hold.

Reads only (no recording): the page's verdict, the compliance rules and the claim checks use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from trace.models import BrandGrant, Certification, CertificationProduct, Organization, Product, RegionalBrand
from trace.services.compliance.compliance_rules import CertificationClaim
from trace.services.endorsements import (
    AUTHORISED,
    BRAND,
    CERTIFIED,
    EXPIRED,
    NOT_YET_VALID,
    REJECTED,
    REVOKED,
    UNAUTHORISED,
    UNVERIFIED,
    VERIFIED,
    Endorsement,
)

# The order a page lists certifications in: what vouches first, then what warns.
_ORDER = {VERIFIED: 0, UNVERIFIED: 1, NOT_YET_VALID: 2, EXPIRED: 3, REJECTED: 4}


# --- the facts each signed record holds, as the rows give them ---------------------------------------
def certification_data(cert: Certification) -> dict[str, Any]:
    """Return a certification as its ``certification`` record holds it."""
    data: dict[str, Any] = {
        "certification": cert.id, "organization": cert.organization_id, "kind": cert.kind, "issuer": cert.issuer,
        "number": cert.number, "products": sorted(cert.product_ids), "validFrom": cert.valid_from.isoformat(),
        "validUntil": cert.valid_until.isoformat()}
    if cert.scan is not None:
        data["scan"] = {"sha256": cert.scan.sha256, "name": cert.scan.name, "mime": cert.scan.mime,
                        "size": cert.scan.size}
    return data


def check_data(cert: Certification) -> dict[str, Any]:
    """Return a certification's latest verification as its ``certification_check`` record holds it."""
    data: dict[str, Any] = {"certification": cert.id, "result": cert.check_result}
    if cert.check_note:
        data["note"] = cert.check_note
    return data


def brand_data(brand: RegionalBrand) -> dict[str, Any]:
    """Return a regional brand as its ``brand`` record holds it."""
    return {"brand": brand.id, "code": brand.code, "name": brand.name, "nameEn": brand.name_en,
            "owner": brand.owner_id, "categories": list(brand.categories), "region": dict(brand.region),
            "requiredCertifications": list(brand.required_certifications), "requiresTest": brand.requires_test}


def grant_data(grant: BrandGrant) -> dict[str, Any]:
    """Return a grant as its ``brand_grant`` record holds it."""
    return {"grant": grant.id, "brand": grant.brand_id, "organization": grant.organization_id,
            "categories": list(grant.categories), "validFrom": grant.valid_from.isoformat(),
            "validUntil": grant.valid_until.isoformat()}


def revocation_data(grant: BrandGrant) -> dict[str, Any]:
    """Return a grant's revocation as its ``brand_revocation`` record holds it."""
    return {"grant": grant.id, "brand": grant.brand_id, "organization": grant.organization_id,
            "reason": grant.revoked_reason}


# --- certifications ---------------------------------------------------------------------------
def certification_state(cert: Certification, today: dt.date) -> str:
    """Say how a certification stands on a day: expired and rejected outweigh a verification."""
    if cert.valid_until < today:
        return EXPIRED
    if cert.check_result == REJECTED:
        return REJECTED
    if cert.valid_from > today:
        return NOT_YET_VALID
    return VERIFIED if cert.check_result == VERIFIED else UNVERIFIED


def declared_until(entry: dict[str, Any]) -> dt.date | None:
    """Return the validity end a producer's free-text certification states, if it states one."""
    value = entry.get("validUntil")
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def certifications_of(session: Session, product_ids: Iterable[int]) -> dict[int, list[Certification]]:
    """Return the certification records covering each product (of the product's own organization)."""
    ids = sorted(set(product_ids))
    found: dict[int, list[Certification]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(CertificationProduct.product_id, Certification)
        .join(Certification, Certification.id == CertificationProduct.certification_id)
        .join(Product, Product.id == CertificationProduct.product_id)
        .where(CertificationProduct.product_id.in_(ids), Product.organization_id == Certification.organization_id)
        .options(joinedload(Certification.checker), joinedload(Certification.scan),
                 selectinload(Certification.products))
        .order_by(Certification.id)).all()
    for product_id, cert in rows:
        found[product_id].append(cert)
    return found


def _certified(cert: Certification, today: dt.date) -> Endorsement:
    checker = cert.checker
    records = (cert.record_id, cert.check_record_id) if cert.check_record_id else (cert.record_id,)
    return Endorsement(CERTIFIED, cert.issuer, cert.valid_until, certification_state(cert, today), what=cert.kind,
                       number=cert.number, signer=checker.name if checker else None,
                       signer_en=checker.name_en if checker else None, since=cert.checked_at,
                       reason=cert.check_note if cert.check_result == REJECTED else None, records=records)


def _declared(entry: dict[str, Any], today: dt.date) -> Endorsement:
    """Return a producer's free-text certification (product master data): never verified, maybe expired."""
    until = declared_until(entry)
    state = EXPIRED if until is not None and until < today else UNVERIFIED
    return Endorsement(CERTIFIED, str(entry.get("issuer") or ""), until, state, what=str(entry.get("kind") or "other"),
                       number=entry.get("number") or None)


# --- brands -----------------------------------------------------------------------------------
def brand_named(session: Session, text: str) -> RegionalBrand | None:
    """Return the registered brand with this name or code."""
    return session.scalar(sa.select(RegionalBrand).where(sa.or_(RegionalBrand.name == text, RegionalBrand.code == text))
                          .options(joinedload(RegionalBrand.owner)))


def grant_state(grant: BrandGrant, today: dt.date) -> str:
    """Say how a grant stands on a day."""
    if grant.revoked_at is not None:
        return REVOKED
    if grant.valid_until < today:
        return EXPIRED
    if grant.valid_from > today:
        return NOT_YET_VALID
    return AUTHORISED


def grants_of(session: Session, brand: RegionalBrand, organization_id: int, category: str) -> list[BrandGrant]:
    """Return a brand's grants to an organization that cover a category, newest first."""
    rows = session.scalars(sa.select(BrandGrant).where(BrandGrant.brand_id == brand.id,
                                                       BrandGrant.organization_id == organization_id)
                           .order_by(BrandGrant.granted_at.desc(), BrandGrant.id.desc()))
    return [g for g in rows if category in (g.categories or [])]


def standing_grant(grants: list[BrandGrant], today: dt.date) -> BrandGrant | None:
    """Return the grant that decides a claim: a valid one (lasting longest), else the newest."""
    valid = [g for g in grants if grant_state(g, today) == AUTHORISED]
    if valid:
        return max(valid, key=lambda g: (g.valid_until, g.id))
    return grants[0] if grants else None


def _brand(session: Session, product: Product, today: dt.date) -> tuple[Endorsement | None, RegionalBrand | None,
                                                                          BrandGrant | None]:
    if not product.regional_brand:
        return None, None, None
    brand = brand_named(session, product.regional_brand)
    if brand is None:
        return Endorsement(BRAND, "", None, UNAUTHORISED, what=product.regional_brand), None, None
    grant = standing_grant(grants_of(session, brand, product.organization_id, product.category.code), today)
    owner: Organization = brand.owner
    if grant is None:
        return (Endorsement(BRAND, owner.name, None, UNAUTHORISED, what=brand.name, what_en=brand.name_en,
                            by_en=owner.name_en,
                            records=(brand.record_id,)), brand, None)
    state = grant_state(grant, today)
    records = (brand.record_id, grant.record_id, *((grant.revocation_record_id,) if grant.revocation_record_id else ()))
    return (Endorsement(BRAND, owner.name, grant.valid_until, UNAUTHORISED if state == NOT_YET_VALID else state,
                        what=brand.name, what_en=brand.name_en, by_en=owner.name_en, signer=owner.name,
                        signer_en=owner.name_en,
                        since=grant.revoked_at or grant.granted_at, reason=grant.revoked_reason, records=records),
            brand, grant)


# --- a product's standing -----------------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    """A product's endorsements today, and the data each signed record they rest on must hold."""

    endorsements: tuple[Endorsement, ...]
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # record id → the rows' facts


def standing_of(session: Session, product: Product, today: dt.date) -> Standing:
    """Return what vouches for a product today: its certifications, then its brand claim."""
    certs = certifications_of(session, [product.id])[product.id]
    facts: dict[str, dict[str, Any]] = {}
    for cert in certs:
        facts[cert.record_id] = certification_data(cert)
        if cert.check_record_id:
            facts[cert.check_record_id] = check_data(cert)
    certified = [_certified(c, today) for c in certs]
    certified += [_declared(e, today) for e in product.certifications or [] if isinstance(e, dict)]
    certified.sort(key=lambda e: (_ORDER.get(e.state, 9), -(e.until or dt.date.min).toordinal()))
    brand_claim, brand, grant = _brand(session, product, today)
    if brand is not None:
        facts[brand.record_id] = brand_data(brand)
    if grant is not None:
        facts[grant.record_id] = grant_data(grant)
        if grant.revocation_record_id:
            facts[grant.revocation_record_id] = revocation_data(grant)
    return Standing(tuple(certified) + ((brand_claim,) if brand_claim else ()), facts)


# --- what the compliance rules read -------------------------------------------------------------
def certification_claims(session: Session, products: dict[int, list[dict[str, Any]]]
                         ) -> dict[int, list[CertificationClaim]]:
    """Return, per product, the certifications it is sold under: (kind, number, from, until, verified, record)."""
    claims: dict[int, list[CertificationClaim]] = {}
    for product_id, certs in certifications_of(session, products).items():
        claims[product_id] = [CertificationClaim(c.kind, c.number, c.valid_from, c.valid_until,
                                                 c.check_result == VERIFIED, c.record_id) for c in certs]
        claims[product_id] += [CertificationClaim(str(e.get("kind") or "other"), e.get("number") or None, None,
                                                  declared_until(e), False, None)
                               for e in products[product_id] if isinstance(e, dict)]
    return claims
