"""Demo data: a county with cooperatives, a processor, a retailer, a laboratory and an inspector, and full stage chains.

Results are signed by who vouches for them: the county testing station answers producers' test
requests (委托检测) and the bureau's supervisory sample (监督抽检); the egg farm and one rapeseed
field record their own tests (自检). The packed tea, the sorted kiwi and the pressed oil show their
sources' results on their pages.

Stages happen at Beijing working hours over weeks (``demo_chain``); only produce kept cold has
storage and transport readings. A second tomato batch fails the bureau's sample at the
supermarket and is recalled today (its page leads with the recall banner); the oil's bottles
carry unit serials, one looked up more often than the copy warning allows (``demo_pages`` lists
pages worth opening, ``flask trace pages`` prints their URLs).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.codes.uscc import uscc_check_character
from trace.demo_chain import Chain, cold_chain
from trace.demo_sales import load_sales
from trace.models import Batch, LookupCount, Organization, User
from trace.services.catalog.catalog import create_product, get_product, seed_categories
from trace.services.endorsements.demo import load_endorsements
from trace.services.lineage.recalls import open_recall
from trace.services.organizations.organizations import add_member, create_organization
from trace.services.organizations.township_seeds import seed_townships, township_code_named, village_code_named
from trace.services.printing.labels import issue_labels
from trace.services.printing.printing import default_contact, default_origin
from trace.services.public.counters import SCAN, Tally, flush_tallies
from trace.services.records.batches import register_batch
from trace.services.sensors.demo import load_cold_chain
from trace.services.signing.keys import LedgerConfig
from trace.times import CHINA

DEMO_MARKER = "松阳县农业农村局（演示）"
COUNTY = {"province": "浙江省", "county": "松阳县"}


def _uscc(serial: int) -> str:
    head = f"93331124MA2{serial:06d}"
    return head + uscc_check_character(head)


def _org(session: Session, serial: int, kind: str, name: str, name_en: str, township: str | None,
         village: str | None = None, contact: str | None = None) -> tuple[Organization, User]:
    """Add an organization with one member; contact: the person to call (some farms give only a phone)."""
    phone = {"phone": f"0578-80{serial:05d}"}
    org = create_organization(session, None, {
        "kind": kind, "name": name, "name_en": name_en, "credit_code": _uscc(serial),
        "region": {**COUNTY, "township_code": township_code_named(township) if township else None,
                   "village_code": village_code_named(village) if village else None},
        "contact": {"name": contact, **phone} if contact else phone})
    role = "lab" if kind == "inspection_agency" else "admin" if kind == "authority" else "producer"
    return org, add_member(session, None, org, f"demo-{serial}", role)


Laboratory = tuple[Organization, User]  # a laboratory and one of its staff


def _grow(
    chain: Chain,
    user: User,
    batch: Batch,
    *,
    variety: str,
    plot: str,
    pesticide: str | None,
    items: list[dict[str, Any]],
    lab: Laboratory | None,
    planting_extra: dict[str, Any] | None = None,
    harvest_extra: dict[str, Any] | None = None,
) -> None:
    """Record planting to inspection; ``*_extra``: values of the category template's extra fields."""
    planting = {"plot": plot, "variety": variety, "area": "12", "areaUnit": "MU"}
    chain.event(user, "planting", [batch], {**planting, **({"extra": planting_extra} if planting_extra else {})}, 0)
    if pesticide:
        chain.event(
            user,
            "input",
            [batch],
            {
                "inputType": "pesticide",
                "product": pesticide,
                "dose": "30",
                "doseUnit": "mL/亩",
                "registrationNumber": "PD20101234",
                "preHarvestIntervalDays": 7,
            },
            20,
        )
    chain.event(
        user, "input", [batch], {"inputType": "fertilizer", "product": "有机肥", "dose": "200", "doseUnit": "kg/亩"}, 3
    )
    harvest = {"quantity": f"{batch.quantity.normalize():f}", "uom": batch.uom}
    chain.event(user, "harvest", [batch], {**harvest, **({"extra": harvest_extra} if harvest_extra else {})}, 30)
    _test(chain, user, batch, items, lab)


def _test(chain: Chain, user: User, batch: Batch, items: list[dict[str, Any]], lab: Laboratory | None) -> None:
    """Record a passed test: the laboratory's answer to the producer's request, or the producer's own (自检)."""
    if lab is None:
        chain.event(user, "inspection", [batch], {"items": items, "result": "pass", "kind": "rapid_test"}, 1)
        return
    org, staff = lab
    asked = chain.event(user, "test_request", [batch], {"laboratory": org.id, "items": [i["item"] for i in items]}, 1)
    chain.event(staff, "inspection", [batch],
                {"items": items, "result": "pass", "reportNumber": f"SY{batch.lot}", "request": asked}, 1)


def _sell(chain: Chain, user: User, retailer: tuple[Organization, User], batch: Batch, qty: str, *,
          basis: list[str], produce: str, package: tuple[str, int], sensed: tuple[str, str] | None = None) -> None:
    """Pack, certify (承诺达标合格证), keep cold if the produce needs it, ship to the supermarket and sell.

    ``sensed``: the (cold store, truck) whose sensors read the temperatures (``load_cold_chain``), so the
    records name them and carry no readings of their own.
    """
    org, clerk = retailer
    chain.event(user, "packing", [batch], {"packageType": package[0], "units": package[1]}, 1)
    chain.event(user, "certificate", [batch], {
        "number": f"HGZ-{batch.lot}", "basis": basis, "quantity": qty, "uom": batch.uom,
        "origin": default_origin(batch), "contact": default_contact(batch)}, 0)
    stored = chain.at(0, "storage")
    readings = cold_chain(produce, stored, chain.rng, hours=10) if sensed is None else []
    if readings or sensed:
        chain.event(user, "storage", [batch], {"warehouse": sensed[0] if sensed else "合作社冷库",
                                               **({"temperatures": readings} if readings else {})}, 0)
    plate = sensed[1] if sensed else f"浙K·{chain.rng.choice('ABCDF')}{chain.rng.randrange(10000, 99999)}"
    departed = chain.at(1, "shipping")
    transport = cold_chain(produce, departed, chain.rng, hours=2, every=0.5) if sensed is None else []
    chain.event(user, "shipping", [batch], {"recipient": org.id, "vehicle": plate, "quantity": qty, "uom": batch.uom,
                                            **({"temperatures": transport} if transport else {})}, 0)
    chain.event(clerk, "receiving", [batch], {"from": batch.organization_id, "quantity": qty, "uom": batch.uom}, 0)
    chain.event(clerk, "sale", [batch], {"channel": "supermarket", "quantity": qty, "uom": batch.uom}, 1)


def _recalled_tomatoes(chain: Chain, veg: User, retailer: tuple[Organization, User], inspector: User,
                       lab: Laboratory, tomato: Batch, residue: list[dict[str, Any]]) -> Batch:
    """Grow and sell a batch that the bureau's sample at the supermarket then fails: it is recalled today."""
    chain.restart(dt.datetime.now(dt.UTC) - dt.timedelta(days=64))
    _grow(chain, veg, tomato, variety="浙粉702", plot="石仓村大棚9号", pesticide="腐霉利可湿性粉剂", items=residue,
          lab=lab, planting_extra={"greenhouse": "9号"})
    _sell(chain, veg, retailer, tomato, "200", basis=["quality_control", "commissioned_test"], produce="tomato",
          package=("周转筐", 20))
    sample = chain.event(inspector, "sampling", [tomato], {
        "laboratory": lab[0].id, "sampleNumber": "CJ-2026-031", "items": ["腐霉利"], "place": "松阳农家乐超市"}, 1)
    failed = [{"item": "腐霉利", "method": "GB 23200.113", "limit": "2", "measured": "3.6", "unit": "mg/kg",
               "result": "fail"}]
    chain.event(lab[1], "inspection", [tomato], {"kind": "sampling", "items": failed, "result": "fail",
                                                 "reportNumber": "CJ-2026-031", "sample": sample}, 1)
    open_recall(chain.session, inspector, tomato, "监督抽检腐霉利超标（CJ-2026-031，3.6 mg/kg，限量 2 mg/kg）",
                ledger=chain.ledger)
    return tomato


# The vegetable co-op's cold store and truck carry sensors: the first tomatoes' temperatures are theirs
# (signed SenML, sealed into window records; services/sensors/demo.py), the other batches' are typed in.
SENSED = ("合作社冷库", "浙K·D1234")

# Unit serials on the oil's bottles: one scanned a few times (normal), one far more often than
# the warning threshold (a copied label), so both pages can be seen.
DEMO_SCANS = (2, 9)


def _unit_serials(session: Session, mill: User, oil: Batch) -> None:
    """Issue a run of unit serials for the oil and count some lookups of two of them."""
    _, units = issue_labels(session, mill, oil, 24)
    now = dt.datetime.now(dt.UTC)
    flush_tallies(session, [Tally(unit.serial, now.astimezone(CHINA).date(), SCAN, oil.id, scans, now, now)
                            for unit, scans in zip(units, DEMO_SCANS, strict=False)])


def demo_pages(session: Session) -> list[tuple[str, Batch, str | None]]:
    """Return a few demo pages worth opening: (what it shows, batch, unit serial or None); none without the demo."""
    lots = {"T2026-041P": "packed tea: its sources' laboratory results and its certificate",
            "V2026-093": "recalled tomatoes: the recall banner",
            "K2026-009A": "sorted kiwifruit: a supervisory sample upstream"}
    found = {b.lot: b for b in session.scalars(
        sa.select(Batch).join(Organization, Organization.id == Batch.organization_id)
        .where(Batch.lot.in_([*lots, "OIL2026-07"]), Organization.credit_code.like("93331124MA2%")))}
    pages: list[tuple[str, Batch, str | None]] = [(what, found[lot], None) for lot, what in lots.items()
                                                  if lot in found]
    oil = found.get("OIL2026-07")
    if oil is not None:
        copied = session.scalar(sa.select(LookupCount.code).where(LookupCount.batch_id == oil.id,
                                                                  LookupCount.kind == SCAN)
                                .order_by(LookupCount.count.desc()).limit(1))
        if copied is not None:
            pages.append(("a bottle of oil whose serial was scanned too often: the copy warning", oil, copied))
    return pages


def load_demo(session: Session, ledger: LedgerConfig) -> list[str]:
    """Load the demo county; return a summary, one line per batch."""
    seed_categories(session)
    seed_townships(session)
    bureau, _ = _org(session, 1, "authority", DEMO_MARKER, "Songyang County Bureau of Agriculture (demo)", None)
    inspector = add_member(session, None, bureau, "demo-1-inspector", "inspector")
    lab = _org(session, 2, "inspection_agency", "松阳县农产品质量安全检测站", "Songyang Testing Station", "西屏街道")
    _, brand_office = _org(session, 3, "authority", "松阳县农产品区域公用品牌办公室",
                           "Songyang County Regional Brand Office", "西屏街道")
    tea_coop, tea = _org(session, 11, "cooperative", "松阳县银猴茶叶专业合作社", "Yinhou Tea Cooperative", "新兴镇",
                         "横山村", "叶建华")
    veg_coop, veg = _org(session, 12, "cooperative", "大东坝高山蔬菜专业合作社", "Dadongba Highland Vegetable Co-op",
                         "大东坝镇", "石仓村", "阙素芬")
    fruit_farm, fruit = _org(session, 13, "family_farm", "玉岩猕猴桃家庭农场", "Yuyan Kiwi Family Farm", "玉岩镇",
                             "白麻山村", "周立新")
    # The egg farm gave only its phone: its certificates print the phone alone.
    egg_farm, egg = _org(session, 14, "family_farm", "象溪土鸡蛋家庭农场", "Xiangxi Free-range Egg Farm", "象溪镇",
                         "靖居村")
    oil_coop, oil = _org(session, 15, "cooperative", "古市油菜专业合作社", "Gushi Rapeseed Co-op", "古市镇", "卯山村",
                         "潘国平")
    _, mill = _org(session, 16, "processor", "松阳县菜籽油加工厂", "Songyang Rapeseed Oil Mill", "望松街道",
                   contact="吴海燕")
    retailer = _org(session, 17, "retailer", "松阳农家乐超市", "Songyang Farmers' Supermarket", "西屏街道",
                    contact="刘晓敏")

    def product(user: User, category: str, name: str, name_en: str, **extra: Any) -> int:
        return create_product(session, user, {"category": category, "name": name, "name_en": name_en, **extra},
                              ledger=ledger).id

    def batch(user: User, product_id: int, lot: str, qty: str, uom: str, plot: str, lat: str, lon: str) -> Batch:
        return register_batch(
            session,
            user,
            {
                "product": product_id,
                "lot": lot,
                "quantity": Decimal(qty),
                "uom": uom,
                "origin": {"name": plot, "latitude": Decimal(lat), "longitude": Decimal(lon)},
            },
            ledger=ledger,
        )

    residue = [
        {
            "item": "毒死蜱",
            "method": "GB 23200.113",
            "limit": "0.02",
            "measured": "0.003",
            "unit": "mg/kg",
            "result": "pass",
        },
        {
            "item": "吡虫啉",
            "method": "GB 23200.121",
            "limit": "0.5",
            "measured": "0.01",
            "unit": "mg/kg",
            "result": "pass",
        },
    ]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=120)
    chain = Chain(session, ledger, start)
    lines = []

    tea_p = product(
        tea,
        "tea",
        "松阳银猴绿茶",
        "Songyang Yinhou green tea",
        gtin="06970000000017",
        brand="银猴",
    )
    # Certifications and the county's brands (records of their own), before any batch.
    veg_p = product(veg, "vegetables", "高山番茄", "Highland tomatoes", brand="石仓")
    kiwi_p = product(fruit, "fruit", "红心猕猴桃", "Red-heart kiwifruit", gtin="06970000000024")
    egg_p = product(egg, "eggs", "象溪土鸡蛋", "Xiangxi free-range eggs")
    fungi_p = product(tea, "edible_fungi", "椴木香菇", "Log-grown shiitake")
    load_endorsements(session, ledger, brand_office, inspector, {
        category: (user, get_product(session, pid)) for category, user, pid in (
            ("tea", tea, tea_p), ("vegetables", veg, veg_p), ("fruit", fruit, kiwi_p), ("eggs", egg, egg_p),
            ("edible_fungi", tea, fungi_p))})
    leaf = batch(tea, tea_p, "T2026-041", "800", "KGM", "横山村茶园3号地块", "28.4512", "119.4821")
    _grow(chain, tea, leaf, variety="鸠坑种", plot="横山村茶园3号地块", pesticide=None, items=residue, lab=lab,
          harvest_extra={"pickingStandard": "one_bud_one_leaf"})
    made = chain.transform(
        tea,
        "processing",
        [(leaf, "800")],
        [{"product": tea_p, "lot": "T2026-041P", "quantity": "190", "uom": "KGM"}],
        {"method": "杀青、揉捻、烘干", "extra": {"craft": "baked"}},
    )
    _sell(chain, tea, retailer, made[0], "20", basis=["quality_control", "commissioned_test"], produce="tea",
          package=("礼盒", 100))

    chain.restart(start + dt.timedelta(days=9))
    tomato = batch(veg, veg_p, "V2026-088", "2500", "KGM", "石仓村大棚7号", "28.3301", "119.3455")
    _grow(chain, veg, tomato, variety="浙粉702", plot="石仓村大棚7号", pesticide="吡虫啉可湿性粉剂", items=residue,
          lab=lab, planting_extra={"greenhouse": "7号"})
    chain.event(veg, "sorting", [tomato], {"grades": [{"grade": "一级", "quantity": "1800", "uom": "KGM"},
                                                      {"grade": "二级", "quantity": "700", "uom": "KGM"}]})
    _sell(chain, veg, retailer, tomato, "300", basis=["quality_control", "commissioned_test"], produce="tomato",
          package=("周转筐", 30), sensed=SENSED)
    recalled = _recalled_tomatoes(chain, veg, retailer, inspector, lab, batch(
        veg, veg_p, "V2026-093", "1800", "KGM", "石仓村大棚9号", "28.3312", "119.3461"), residue)

    chain.restart(start + dt.timedelta(days=4))
    kiwi = batch(fruit, kiwi_p, "K2026-009", "3000", "KGM", "白麻山村果园", "28.2533", "119.5412")
    _grow(chain, fruit, kiwi, variety="红阳", plot="白麻山村果园", pesticide="啶虫脒乳油", items=residue, lab=None,
          harvest_extra={"brix": "16.5"})
    sample = chain.event(inspector, "sampling", [kiwi], {"laboratory": lab[0].id, "sampleNumber": "CJ-2026-017",
                                                          "items": ["啶虫脒"], "place": "白麻山村果园"}, 0.5)
    acetamiprid = [{"item": "啶虫脒", "method": "GB 23200.121", "limit": "2", "measured": "0.05", "unit": "mg/kg",
                    "result": "pass"}]
    chain.event(lab[1], "inspection", [kiwi], {"kind": "sampling", "items": acetamiprid, "result": "pass",
                                               "reportNumber": "CJ-2026-017", "sample": sample}, 1)
    grade_a, grade_b = chain.transform(
        fruit,
        "sorting",
        [(kiwi, "2900")],
        [
            {"product": kiwi_p, "lot": "K2026-009A", "quantity": "2000", "uom": "KGM"},
            {"product": kiwi_p, "lot": "K2026-009B", "quantity": "900", "uom": "KGM"},
        ],
        {"method": "按单果重分级"},
    )
    _sell(chain, fruit, retailer, grade_a, "500", basis=["quality_control", "self_test"], produce="kiwi",
          package=("礼盒", 250))

    chain.restart(start + dt.timedelta(days=2))
    eggs = batch(egg, egg_p, "E2026-112", "6000", "H87", "靖居村林下养殖区", "28.5102", "119.4003")
    chain.event(egg, "planting", [eggs], {"variety": "仙居鸡"}, 0)
    chain.event(egg, "input", [eggs],
                {"inputType": "feed", "product": "玉米豆粕配合饲料", "dose": "120", "doseUnit": "g/只/日"}, 5)
    laid = (chain.clock + dt.timedelta(days=60)).astimezone(CHINA).date().isoformat()
    chain.event(egg, "harvest", [eggs],
                {"quantity": "6000", "uom": "H87", "extra": {"layingDate": laid, "weightGrade": "L"}}, 60)
    chain.event(egg, "inspection", [eggs], {"result": "pass", "items": [
        {"item": "恩诺沙星", "limit": "0", "measured": "0", "unit": "µg/kg", "result": "pass"}]}, 1)
    _sell(chain, egg, retailer, eggs, "1200", basis=["quality_control", "self_test"], produce="eggs",
          package=("蛋托", 40))

    chain.restart(start + dt.timedelta(days=6))
    seed_p = product(oil, "grain_oil", "油菜籽", "Rapeseed")
    fields_a = batch(oil, seed_p, "R2026-01", "5000", "KGM", "卯山村油菜田A", "28.4901", "119.5702")
    fields_b = batch(oil, seed_p, "R2026-02", "4200", "KGM", "卯山村油菜田B", "28.4933", "119.5811")
    for field_batch, tester in ((fields_a, lab), (fields_b, None)):
        chain.restart(start + dt.timedelta(days=6))
        _grow(chain, oil, field_batch, variety="浙油50", plot=(field_batch.origin or {})["name"], pesticide=None,
              items=residue, lab=tester)
    chain.event(oil, "shipping", [fields_a, fields_b], {"recipient": mill.organization_id, "vehicle": "浙K·Y5678"})
    chain.event(mill, "receiving", [fields_a, fields_b], {"from": oil_coop.id}, 0.5)
    oil_p = product(mill, "grain_oil", "古法压榨菜籽油", "Cold-pressed rapeseed oil", gtin="06970000000031")
    (pressed,) = chain.transform(
        mill,
        "processing",
        [(fields_a, "5000"), (fields_b, "3000")],
        [{"product": oil_p, "lot": "OIL2026-07", "quantity": "2800", "uom": "LTR"}],
        {"method": "物理压榨", "facility": "一号车间", "extra": {"pressing": "physical"}},
    )
    _sell(chain, mill, retailer, pressed, "400", basis=["quality_control", "commissioned_test"], produce="oil",
          package=("5升桶", 80))
    _unit_serials(session, mill, pressed)

    chain.restart(start + dt.timedelta(days=12))
    shiitake = batch(tea, fungi_p, "F2026-03", "600", "KGM", "横山村菇棚", "28.4520", "119.4830")
    _grow(chain, tea, shiitake, variety="L808", plot="横山村菇棚", pesticide=None, items=residue, lab=lab,
          planting_extra={"substrateBatch": "JB-2026-03"}, harvest_extra={"flush": "1"})

    load_cold_chain(session, ledger, veg, tomato, store=SENSED[0], truck=SENSED[1])
    sellers = {"tea": tea, "vegetables": veg, "fruit": fruit, "eggs": egg, "grain_oil": mill, "edible_fungi": tea}
    sales_summary = load_sales(session, ledger, sellers,
                               {tea_coop: ("cooperative", 12), egg_farm: ("household", 1)})
    session.flush()
    for b in (leaf, made[0], tomato, recalled, kiwi, grade_a, grade_b, eggs, fields_a, fields_b, pressed, shiitake):
        lines.append(f"{b.trace_code}  {b.product.name}  lot {b.lot}  {b.quantity.normalize():f} {b.uom}")
    lines.append(f"organizations: {', '.join(o.name for o in (tea_coop, veg_coop, fruit_farm, egg_farm, oil_coop))} …")
    lines[-1] += "; " + "; ".join(sales_summary)
    return lines
