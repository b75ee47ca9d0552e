"""The demo county's certifications and brands: verified, unverified and expired certificates, two regional brands,
their grants, and one revoked grant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from trace.models import Organization, Product, User
from trace.services.catalog.catalog import change_product
from trace.services.endorsements import china_today
from trace.services.endorsements.brands import grant_brand, register_brand, revoke_grant
from trace.services.endorsements.certifications import declare_certification, verify_certification
from trace.services.signing.keys import LedgerConfig

REGION = {"province": "浙江省", "county": "松阳县"}


def _certify(session: Session, ledger: LedgerConfig, holder: User, product: Product, kind: str, issuer: str,
             number: str, start: dt.date, until: dt.date, checker: User | None,
             declared: dt.date | None = None) -> None:
    fields = {"kind": kind, "issuer": issuer, "number": number, "products": [product.id], "valid_from": start,
              "valid_until": until}
    cert = declare_certification(session, holder, fields, ledger=ledger, today=declared)
    if checker is not None:
        verify_certification(session, checker, cert.id, {"result": "verified", "note": "与证书原件及全国认证认可信息"
                                                         "公共服务平台核对一致"}, ledger=ledger)


def load_endorsements(session: Session, ledger: LedgerConfig, office: User, inspector: User,
                      producers: dict[str, tuple[User, Product]]) -> None:
    """Certify some demo products, register the county's brands, grant them, and revoke one grant."""
    today = china_today()
    tea, tea_p = producers["tea"]
    veg, veg_p = producers["vegetables"]
    fruit, kiwi_p = producers["fruit"]
    egg, egg_p = producers["eggs"]
    _certify(session, ledger, tea, tea_p, "geographical_indication", "农业农村部", "AGI01234",
             dt.date(2021, 5, 1), today + dt.timedelta(days=900), inspector)
    _certify(session, ledger, fruit, kiwi_p, "green_food", "中国绿色食品发展中心", "LB-18-2601234567A",
             today - dt.timedelta(days=200), today + dt.timedelta(days=895), inspector)
    grower, fungi_p = producers["edible_fungi"]
    _certify(session, ledger, grower, fungi_p, "qualified", "松阳县农业农村局", "DBHG-2026-0088",
             today - dt.timedelta(days=30), today + dt.timedelta(days=335), None)  # declared, not verified yet
    lapsed = today - dt.timedelta(days=20)
    _certify(session, ledger, egg, egg_p, "pollution_free", "浙江省农产品质量安全中心", "WGH-ZJ-2023-0456",
             lapsed - dt.timedelta(days=3 * 365), lapsed, inspector, declared=lapsed - dt.timedelta(days=1000))

    owner: Organization = office.organization
    tea_brand = register_brand(session, office, {
        "code": "songyang-tea", "name": "松阳香茶", "name_en": "Songyang Tea", "owner": owner.id, "categories": ["tea"],
        "region": REGION, "required_certifications": ["geographical_indication"], "requires_test": True},
        ledger=ledger)
    good = register_brand(session, office, {
        "code": "songyang-good", "name": "松阳好产", "name_en": "Songyang Good Produce", "owner": owner.id,
        "categories": ["vegetables", "fruit", "eggs", "edible_fungi"], "region": REGION,
        "required_certifications": [], "requires_test": False}, ledger=ledger)
    year = {"valid_from": today - dt.timedelta(days=60), "valid_until": today + dt.timedelta(days=305)}
    grant_brand(session, office, tea_brand.id, {"organization": tea.organization_id, "categories": ["tea"], **year},
                ledger=ledger)
    for user, category in ((veg, "vegetables"), (fruit, "fruit"), (egg, "eggs")):
        grant_brand(session, office, good.id, {"organization": user.organization_id, "categories": [category],
                                               **year}, ledger=ledger)
    for user, product, brand in ((tea, tea_p, tea_brand), (veg, veg_p, good), (fruit, kiwi_p, good),
                                 (egg, egg_p, good)):
        change_product(session, user, product.id, {"regional_brand": brand.name}, ledger=ledger)
    revoked = next(g for g in good.grants if g.organization_id == egg.organization_id)
    revoke_grant(session, office, good.id, revoked.id, "抽检发现包装标识不符合品牌使用规范", ledger=ledger)
