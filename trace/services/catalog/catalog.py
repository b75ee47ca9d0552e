"""Categories (with their stage templates) and products."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.codes.gtin import GtinError, normalize_gtin
from trace.errors import ConflictError, NotFoundError, ValidationError
from trace.models import Category, Product, User
from trace.models.organization import Role
from trace.schemas.catalog import Certification
from trace.schemas.templates import stored_steps
from trace.services.catalog.template_seeds import with_extra_fields
from trace.services.catalog.templates import add_version
from trace.services.catalog.templates import get_category as get_category  # callers import it from here too
from trace.services.endorsements.brands import check_brand_claim
from trace.services.endorsements.certifications import check_declared
from trace.services.organizations.permissions import require_own_organization, require_role
from trace.services.records.attachments import require_image
from trace.services.records.pipeline import record
from trace.services.records.registration import product_data, product_request
from trace.services.signing.keys import LedgerConfig


def _template(*steps: str | tuple[str, list[str]]) -> list[dict[str, Any]]:
    return [{"stage": s, "requires": [], "fields": []} if isinstance(s, str)
            else {"stage": s[0], "requires": s[1], "fields": []} for s in steps]


# An inspection names no laboratory in free text: the laboratory that tested is the one that signed (see
# stages/inspection.py).
_GROWN = ("input", ("harvest", ["quantity", "uom"]), ("inspection", ["items", "result"]))
_TAIL = ("packing", "certificate", "storage", "shipping", "receiving", "sale")



def _cold(low: str, high: str, tolerated_minutes: int = 30) -> dict[str, Any]:
    """Return a cold-chain claim: the same range in storage and transport, and the time outside it tolerated."""
    return {"storage": {"min": low, "max": high}, "transport": {"min": low, "max": high},
            "toleratedMinutes": tolerated_minutes}


def _shelf(days: int, kind: str, zh: str, en: str) -> dict[str, Any]:
    """Return a shelf life (kind ``best_before`` 最佳食用期 or ``shelf_life`` 保质期) and storage conditions."""
    return {"days": days, "kind": kind, "conditionsZh": zh, "conditionsEn": en}


DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    {"code": "vegetables", "name_zh": "蔬菜", "name_en": "Vegetables",
     "template": _template(("planting", ["plot", "variety"]), *_GROWN, "sorting", *_TAIL),
     "temperature_range": {"min": "0", "max": "10"},
     "cold_chain": _cold("0", "8"),
     "shelf_life": _shelf(7, "best_before", "0–8 °C 冷藏",
                          "Keep refrigerated at 0–8 °C")},
    {"code": "fruit", "name_zh": "水果", "name_en": "Fruit",
     "template": _template(("planting", ["plot", "variety"]), *_GROWN, "sorting", *_TAIL),
     "temperature_range": {"min": "0", "max": "12"},
     "cold_chain": _cold("0", "10"),
     "shelf_life": _shelf(14, "best_before", "0–10 °C 冷藏",
                          "Keep refrigerated at 0–10 °C")},
    {"code": "grain_oil", "name_zh": "粮油", "name_en": "Grain and oil",
     "template": _template(("planting", ["plot", "variety"]), *_GROWN, "processing", *_TAIL),
     "temperature_range": {"min": "-10", "max": "25"},
     "shelf_life": _shelf(365, "shelf_life", "阴凉干燥处，避光密封保存",
                          "Store sealed in a cool, dry place away from light")},
    {"code": "tea", "name_zh": "茶叶", "name_en": "Tea",
     "template": _template(("planting", ["plot", "variety"]), *_GROWN, "processing", *_TAIL),
     "temperature_range": {"min": "-5", "max": "25"},
     "shelf_life": _shelf(540, "shelf_life", "密封、避光、防潮，常温保存",
                          "Store sealed, dry and away from light at room temperature")},
    {"code": "livestock_poultry", "name_zh": "畜禽", "name_en": "Livestock and poultry",
     "template": _template(("planting", ["variety"]), *_GROWN, "processing", *_TAIL),
     "temperature_range": {"min": "-2", "max": "4"},
     "cold_chain": _cold("0", "4"),
     "shelf_life": _shelf(5, "shelf_life", "0–4 °C 冷藏",
                          "Keep refrigerated at 0–4 °C")},
    {"code": "eggs", "name_zh": "蛋品", "name_en": "Eggs",
     "template": _template(("planting", ["variety"]), *_GROWN, "sorting", *_TAIL),
     "temperature_range": {"min": "0", "max": "15"},
     "shelf_life": _shelf(45, "best_before", "阴凉干燥处保存，冷藏更佳",
                          "Store in a cool, dry place; refrigerated is better")},
    {"code": "aquatic", "name_zh": "水产品", "name_en": "Aquatic products",
     "template": _template(("planting", ["variety"]), *_GROWN, "processing", *_TAIL),
     "temperature_range": {"min": "-2", "max": "4"},
     "cold_chain": _cold("-2", "4"),
     "shelf_life": _shelf(3, "shelf_life", "-2–4 °C 冷藏",
                          "Keep refrigerated at -2–4 °C")},
    {"code": "edible_fungi", "name_zh": "食用菌", "name_en": "Edible fungi",
     "template": _template(("planting", ["plot", "variety"]), *_GROWN, "sorting", *_TAIL),
     "temperature_range": {"min": "0", "max": "5"},
     "cold_chain": _cold("1", "5"),
     "shelf_life": _shelf(10, "best_before", "1–5 °C 冷藏",
                          "Keep refrigerated at 1–5 °C")},
]


def seed_categories(session: Session) -> int:
    """Add the default categories that are missing, their extra fields in version 1; return how many were added."""
    existing = set(session.scalars(sa.select(Category.code)))
    added = 0
    for spec in DEFAULT_CATEGORIES:
        if spec["code"] not in existing:
            fields = {k: v for k, v in spec.items() if k != "template"}
            category = Category(**fields, template_version=1)
            session.add(category)
            session.flush()
            add_version(session, category, with_extra_fields(spec["code"], spec["template"]), None)
            added += 1
    session.flush()
    return added


def list_categories(session: Session) -> list[Category]:
    """Return every category by code."""
    return list(session.scalars(sa.select(Category).order_by(Category.id)))


def create_category(session: Session, actor: User, fields: dict[str, Any]) -> Category:
    """Add a category (admins only)."""
    require_role(actor, Role.ADMIN)
    if session.scalar(sa.select(Category.id).where(Category.code == fields["code"])):
        raise ConflictError(f"Category {fields['code']} exists.", errors={"code": ["Taken."]})
    rng = fields.get("temperature_range")
    category = Category(
        code=fields["code"],
        name_zh=fields["name_zh"],
        name_en=fields["name_en"],
        temperature_range={"min": str(rng["min"]), "max": str(rng["max"])} if rng else None,
    )
    session.add(category)
    session.flush()
    add_version(session, category, stored_steps(fields["template"]), actor)
    return category


def create_product(session: Session, actor: User, fields: dict[str, Any], *, ledger: LedgerConfig,
                   captured: bool = False) -> Product:
    """Register a product of the actor's organization (producers only), with its signed product record.

    ``captured``: master data from another system's EPCIS document; its brand and certification
    claims are kept as that system stated them (pages show them as not registered or not verified here).
    """
    require_role(actor, Role.PRODUCER)
    category = session.scalar(sa.select(Category).where(Category.code == fields["category"]))
    if category is None:
        raise ValidationError("Unknown category.", errors={"category": [f"No category {fields['category']}."]})
    gtin = fields.get("gtin")
    if gtin:  # callers other than the API (demo, imports) may pass 8, 12 or 13 digits
        try:
            gtin = normalize_gtin(gtin)
        except GtinError as exc:
            raise ValidationError("Invalid GTIN.", errors={"gtin": [str(exc)]}) from exc
    if gtin and session.scalar(sa.select(Product.id).where(Product.gtin == gtin)):
        raise ConflictError(f"GTIN {gtin} is registered to another product.", errors={"gtin": ["Taken."]})
    regional_brand = fields.get("regional_brand")
    certifications = Certification(many=True).dump(fields.get("certifications", []))
    if not captured:
        if regional_brand:  # a product claims a regional brand only under a valid grant
            regional_brand = check_brand_claim(session, actor.organization_id, category.code, regional_brand)
        check_declared(certifications)
    product = Product(
        organization_id=actor.organization_id,
        category_id=category.id,
        name=fields["name"],
        name_en=fields.get("name_en"),
        gtin=gtin,
        regional_brand=regional_brand,
        brand=fields.get("brand"),
        certifications=certifications,
        photo=require_image(session, fields["photo"]).sha256 if fields.get("photo") else None,
    )
    session.add(product)
    session.flush()
    sign_product(session, actor, product, ledger)
    return product


def change_product(session: Session, actor: User, product_id: int, changes: dict[str, Any], *,
                   ledger: LedgerConfig) -> Product:
    """Change a product's master data (its photo too) and sign it as a new product record (its organization's
    producers)."""
    product = get_product(session, product_id)
    require_own_organization(actor, product.organization_id, f"Product {product.id}")
    before = product_data(product)
    claimed = changes.get("regional_brand")
    if claimed and claimed != product.regional_brand:  # a new claim needs a valid grant
        changes = {**changes, "regional_brand": check_brand_claim(session, product.organization_id,
                                                                  product.category.code, claimed)}
    for key in ("name", "name_en", "regional_brand", "brand"):
        if key in changes:
            setattr(product, key, changes[key])
    if "photo" in changes:  # a new photo (or none) is a change of the signed master data like any other
        product.photo = require_image(session, changes["photo"]).sha256 if changes["photo"] else None
    if "certifications" in changes:
        product.certifications = Certification(many=True).dump(changes["certifications"])
        check_declared(product.certifications)
    if product_data(product) != before:  # an unchanged product makes no record
        session.flush()
        sign_product(session, actor, product, ledger)
    return product


def sign_product(session: Session, actor: User, product: Product, ledger: LedgerConfig) -> None:
    """Sign and append the product's current master data; the row then points at that record."""
    (recorded,) = record(session, actor, [product_request(product, f"user:{actor.id}")], ledger=ledger)
    product.record_id = recorded.id


def get_product(session: Session, product_id: int) -> Product:
    """Return a product or raise NotFoundError."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFoundError(f"No product {product_id}.")
    return product


def list_products(session: Session, organization_id: int | None = None) -> list[Product]:
    """Return products, optionally of one organization."""
    query = sa.select(Product).order_by(Product.id)
    if organization_id is not None:
        query = query.where(Product.organization_id == organization_id)
    return list(session.scalars(query))
