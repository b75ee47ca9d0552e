"""Regional public brands: the register, grants of use by the brand's owner, revocations, and product claims."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from trace.models import BrandGrant, Category, Certification, Organization, RegionalBrand, User
from trace.models.organization import Role
from trace.services.endorsements import AUTHORISED, china_today
from trace.services.endorsements.records import sign
from trace.services.endorsements.standing import (
    brand_data,
    brand_named,
    certification_state,
    grant_data,
    grant_state,
    grants_of,
    revocation_data,
)
from trace.services.signing.keys import LedgerConfig


def register_brand(session: Session, actor: User, fields: dict[str, Any], *, ledger: LedgerConfig) -> RegionalBrand:
    """Register a regional brand with its owner and rules (an administrator, or the owning organization)."""
    owner = session.get(Organization, fields["owner"])
    if owner is None:
        raise ValidationError("Unknown organization.", errors={"owner": ["No such organization."]})
    if actor.role != Role.ADMIN and actor.organization_id != owner.id:
        raise PermissionDeniedError("Only an administrator or the brand's owner registers a regional brand.")
    if actor.role == Role.INSPECTOR:
        raise PermissionDeniedError("Inspectors do not register brands.")
    _known_categories(session, fields["categories"], "categories")
    taken = session.scalar(sa.select(RegionalBrand.id).where(
        sa.or_(RegionalBrand.code == fields["code"], RegionalBrand.name == fields["name"])))
    if taken is not None:
        raise ConflictError(f"A regional brand {fields['name']} or {fields['code']} exists.",
                            errors={"code": ["Taken."]})
    brand = RegionalBrand(code=fields["code"], name=fields["name"], name_en=fields.get("name_en"), owner_id=owner.id,
                          categories=sorted(set(fields["categories"])), region=fields["region"],
                          required_certifications=sorted(set(fields.get("required_certifications") or [])),
                          requires_test=bool(fields.get("requires_test")), record_id="")
    session.add(brand)
    session.flush()
    brand.record_id = sign(session, actor, "brand", brand_data(brand), ledger=ledger)
    session.flush()
    return brand


def grant_brand(session: Session, actor: User, brand_id: int, fields: dict[str, Any], *, ledger: LedgerConfig,
                today: dt.date | None = None) -> BrandGrant:
    """Grant an organization the use of a brand on some categories for a period (the brand's owner only).

    The brand's rules are checked: its categories, its region, and a verified, valid
    certification of a kind it requires.
    """
    brand = get_brand(session, brand_id)
    _require_owner(actor, brand)
    today = today or china_today()
    licensee = session.get(Organization, fields["organization"])
    if licensee is None:
        raise ValidationError("Unknown organization.", errors={"organization": ["No such organization."]})
    outside = sorted(set(fields["categories"]) - set(brand.categories))
    if outside:
        raise ValidationError(f"品牌“{brand.name}”不涵盖品类 {', '.join(outside)}。"
                              f" The brand {brand.name} does not cover {', '.join(outside)}.",
                              errors={"categories": [f"Not a category of the brand: {c}." for c in outside]})
    if fields["valid_until"] < fields["valid_from"] or fields["valid_until"] < today:
        raise ValidationError("授权期限无效。 The grant must end after it begins, and not in the past.",
                              errors={"validUntil": ["Before validFrom or in the past."]})
    region = brand.region or {}
    if any(region.get(k) and region[k] != getattr(licensee, k) for k in ("province", "county")):
        place = "".join(str(region.get(k) or "") for k in ("province", "county"))
        raise ValidationError(f"{licensee.name} 不在品牌的区域（{place}）内。"
                              f" {licensee.name} is outside the brand's region ({place}).",
                              errors={"organization": ["Outside the brand's region."]})
    if brand.required_certifications and not _holds(session, licensee.id, brand.required_certifications, today):
        kinds = ", ".join(brand.required_certifications)
        raise ValidationError(f"{licensee.name} 没有经核验且有效的所需认证（{kinds}）。"
                              f" {licensee.name} holds no verified, valid certification the brand requires ({kinds}).",
                              errors={"organization": ["Lacks a required certification."]})
    grant = BrandGrant(brand_id=brand.id, organization_id=licensee.id, categories=sorted(set(fields["categories"])),
                       valid_from=fields["valid_from"], valid_until=fields["valid_until"], record_id="")
    session.add(grant)
    session.flush()
    grant.record_id = sign(session, actor, "brand_grant", grant_data(grant), ledger=ledger)
    session.flush()
    return grant


def revoke_grant(session: Session, actor: User, brand_id: int, grant_id: int, reason: str, *,
                 ledger: LedgerConfig) -> BrandGrant:
    """Revoke a grant (the brand's owner only): every page of the licensee's products under it shows it."""
    brand = get_brand(session, brand_id)
    _require_owner(actor, brand)
    grant = session.get(BrandGrant, grant_id)
    if grant is None or grant.brand_id != brand.id:
        raise NotFoundError(f"No grant {grant_id} of brand {brand_id}.")
    if grant.revoked_at is not None:
        raise ConflictError(f"Grant {grant_id} was revoked already.")
    grant.revoked_at, grant.revoked_reason = utcnow(), reason
    session.flush()
    grant.revocation_record_id = sign(session, actor, "brand_revocation", revocation_data(grant), ledger=ledger)
    session.flush()
    return grant


def check_brand_claim(session: Session, organization_id: int, category: str, claimed: str,
                      today: dt.date | None = None) -> str:
    """Return the registered name of the brand a product claims, or refuse the claim (422) without a valid grant."""
    brand = brand_named(session, claimed)
    if brand is None:
        raise ValidationError(f"区域公用品牌“{claimed}”未登记。 The regional brand {claimed!r} is not registered.",
                              errors={"regionalBrand": ["Not a registered regional brand."]})
    today = today or china_today()
    grants = grants_of(session, brand, organization_id, category)
    if not any(grant_state(g, today) == AUTHORISED for g in grants):
        raise ValidationError(
            f"本单位没有“{brand.name}”在品类 {category} 上的有效授权（未授权、已撤销或已过期）。"
            f" Your organization holds no valid grant of the regional brand {brand.name} for {category}"
            " (never granted, revoked or expired).",
            errors={"regionalBrand": ["No valid grant."]})
    return brand.name


def get_brand(session: Session, brand_id: int) -> RegionalBrand:
    """Return a brand or raise NotFoundError."""
    brand = session.get(RegionalBrand, brand_id)
    if brand is None:
        raise NotFoundError(f"No regional brand {brand_id}.")
    return brand


def list_brands(session: Session) -> list[RegionalBrand]:
    """Return every registered brand."""
    return list(session.scalars(sa.select(RegionalBrand).order_by(RegionalBrand.id)))


def _require_owner(actor: User, brand: RegionalBrand) -> None:
    if actor.organization_id != brand.owner_id or actor.role == Role.INSPECTOR:
        raise PermissionDeniedError(f"Only the owner of the brand {brand.name} grants and revokes its use.")


def _known_categories(session: Session, codes: list[str], field: str) -> None:
    known = set(session.scalars(sa.select(Category.code).where(Category.code.in_(codes))))
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValidationError("Unknown category.", errors={field: [f"No category {c}." for c in unknown]})


def _holds(session: Session, organization_id: int, kinds: list[str], today: dt.date) -> bool:
    """Tell whether an organization holds a verified certification, valid today, of one of these kinds."""
    certs = session.scalars(sa.select(Certification).where(Certification.organization_id == organization_id,
                                                           Certification.kind.in_(kinds)))
    return any(certification_state(c, today) == "verified" for c in certs)
