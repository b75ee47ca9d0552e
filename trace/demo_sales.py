"""Demo sales: fourteen months of batches sold online and offline in every category, aid households among
the producers, so the statistics and the monthly report show month-on-month and year-on-year change.

Called by ``trace.demo.load_demo`` after the county's organizations exist; prices, orders and buyers
go through the pipeline's sealing like any client's (services/records/private.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.models import Organization, Product, User
from trace.services.catalog.catalog import create_product, get_product
from trace.services.organizations.aid import mark_aid
from trace.services.organizations.organizations import add_member, create_organization
from trace.services.organizations.township_seeds import township_code_named
from trace.services.records.batches import new_batch
from trace.services.records.events import record_bulk
from trace.services.signing.keys import LedgerConfig
from trace.times import CHINA

MONTHS = 14
PLATFORMS = ("淘宝", "抖音", "拼多多", "微信小程序")
MARKETS = ("西屏农贸市场", "松阳茶叶市场", "古市菜市场")
BUYER_KINDS = ("consumer", "retailer", "enterprise", "public_procurement")
# category -> (unit, batch quantity, online quantity, offline quantity, unit price in CNY)
SHAPE = {
    "tea": ("KGM", "200", "12", "40", "360"),
    "vegetables": ("KGM", "2000", "150", "600", "4.6"),
    "fruit": ("KGM", "1500", "220", "300", "12.8"),
    "eggs": ("H87", "5000", "600", "1200", "1.5"),
    "grain_oil": ("LTR", "800", "60", "150", "32"),
    "edible_fungi": ("KGM", "300", "30", "80", "48"),
    "livestock_poultry": ("KGM", "600", "40", "120", "68"),
    "aquatic": ("KGM", "400", "25", "90", "56"),
}


def _month_start(now: dt.datetime, back: int) -> dt.datetime:
    local = now.astimezone(CHINA)
    index = local.year * 12 + local.month - 1 - back
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=CHINA)


def _extra_producer(session: Session, name: str, name_en: str, township: str, serial: int) -> tuple[User, int]:
    org = create_organization(session, None, {
        "kind": "family_farm", "name": name, "name_en": name_en,
        "region": {"province": "浙江省", "county": "松阳县", "township_code": township_code_named(township)},
        "contact": {"phone": f"0578-81{serial:05d}"}})  # a family farm gives its phone, no contact name
    return add_member(session, None, org, f"demo-{serial}", "producer"), org.id


# category -> the product sold (made here: the demo's certified products keep their certifications' dates)
PRODUCTS = {
    "tea": ("松阳绿茶（散装）", "Songyang green tea (loose)"),
    "vegetables": ("时令蔬菜", "Seasonal vegetables"),
    "fruit": ("时令水果", "Seasonal fruit"),
    "eggs": ("散养鸡蛋", "Free-range eggs"),
    "grain_oil": ("菜籽油（散装）", "Rapeseed oil (bulk)"),
    "edible_fungi": ("鲜香菇", "Fresh shiitake"),
}


def load_sales(session: Session, ledger: LedgerConfig, sellers: dict[str, User],
               aid: dict[Organization, tuple[str, int]]) -> list[str]:
    """Record fourteen months of batches and sales for each category; return a summary line.

    ``sellers``: category -> a producer's user (a product of the category is made for them);
    categories missing get a family farm of their own. ``aid``: organizations to mark as aid
    households or cooperatives.
    """
    producers = {category: (user, _product(session, ledger, user, category, *PRODUCTS[category]))
                 for category, user in sellers.items()}
    if "livestock_poultry" not in producers:
        user, _ = _extra_producer(session, "赤寿土猪家庭农场", "Chishou Heritage Pig Farm", "赤寿乡", 21)
        producers["livestock_poultry"] = (user, _product(session, ledger, user, "livestock_poultry", "土猪肉",
                                                         "Heritage pork"))
        aid = {**aid, user.organization: ("household", 1)}
    if "aquatic" not in producers:
        user, _ = _extra_producer(session, "樟溪溪鱼养殖场", "Zhangxi Stream Fish Farm", "樟溪乡", 22)
        producers["aquatic"] = (user, _product(session, ledger, user, "aquatic", "樟溪石斑鱼", "Stream grouper"))
    for org, (kind, households) in aid.items():
        mark_aid(session, None, org, kind, households)
    now = utcnow()
    recorded = 0
    for back in range(MONTHS - 1, -1, -1):
        start = _month_start(now, back)
        growth = Decimal(100 + 4 * (MONTHS - back) + (15 if start.month in (4, 5, 10, 11) else 0)) / 100
        for i, (category, (user, product_id)) in enumerate(sorted(producers.items())):
            uom, size, online, offline, price = SHAPE[category]
            when = min(start + dt.timedelta(days=4 + i, hours=9), now - dt.timedelta(hours=2 + i))
            product = get_product(session, product_id)
            sales: list[dict[str, Any]] = []
            for channel, qty, place in (("online", online, PLATFORMS), ("market", offline, MARKETS)):
                batch = new_batch(session, user, product, f"S{start:%Y%m}-{category[:4]}-{channel[:2]}",
                                  Decimal(size), uom, None, when - dt.timedelta(days=2), ledger=ledger,
                                  occurred_at=when - dt.timedelta(days=1))
                quantity = (Decimal(qty) * growth).quantize(Decimal(1))
                unit_price = Decimal(price)
                sales.append({
                    "id": uuid.uuid4(), "stage": "sale", "batches": [batch.trace_code], "occurred_at": when,
                    "attachments": [],
                    "data": {"channel": channel, "platform": place[(back + i) % len(place)],
                             "quantity": f"{quantity}", "uom": uom, "unitPrice": f"{unit_price}",
                             "amount": f"{(quantity * unit_price).quantize(Decimal('0.01'))}",
                             "buyerKind": BUYER_KINDS[(back + i + len(sales)) % len(BUYER_KINDS)],
                             **({"order": f"DD{start:%Y%m}{i:02d}{len(sales)}"} if channel == "online" else {})},
                })
            record_bulk(session, user, sales, ledger=ledger)
            recorded += 2
    return [f"sales: {recorded} over {MONTHS} months in {len(producers)} categories "
            f"({sum(1 for _ in aid)} producers marked as aid households or their cooperatives)"]


def _product(session: Session, ledger: LedgerConfig, user: User, category: str, name: str, name_en: str) -> int:
    product: Product = create_product(session, user, {"category": category, "name": name, "name_en": name_en},
                                      ledger=ledger)
    return product.id
