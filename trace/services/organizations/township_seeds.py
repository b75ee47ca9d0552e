"""The demo county's register: 松阳县 (Songyang, Lishui, Zhejiang; county code 331124).

The township and village names are real; the last six digits of each code follow the official
scheme (digits 7–9: 001–099 sub-districts, 100–199 towns, 200–399 townships; digits 10–12: 2xx
villages) but are illustrative, not copied from the statistics bureau's table. A deployment loads
its own county's codes through the API or ``flask --app wsgi trace townships load FILE``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from trace.models import Township, Village
from trace.services.organizations.townships import create_township, create_village

SONGYANG = "331124"

# (code, name, English name, [(village code, name, English name)])
TOWNSHIPS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    ("331124001000", "西屏街道", "Xiping Subdistrict", []),
    ("331124002000", "水南街道", "Shuinan Subdistrict", []),
    ("331124003000", "望松街道", "Wangsong Subdistrict", []),
    ("331124100000", "古市镇", "Gushi Town", [("331124100201", "卯山村", "Maoshan Village")]),
    ("331124101000", "玉岩镇", "Yuyan Town", [("331124101201", "白麻山村", "Baimashan Village")]),
    ("331124102000", "象溪镇", "Xiangxi Town", [("331124102201", "靖居村", "Jingju Village")]),
    ("331124103000", "大东坝镇", "Dadongba Town", [("331124103201", "石仓村", "Shicang Village")]),
    ("331124104000", "新兴镇", "Xinxing Town", [("331124104201", "横山村", "Hengshan Village")]),
    ("331124200000", "叶村乡", "Yecun Township", []),
    ("331124201000", "斋坛乡", "Zhaitan Township", []),
    ("331124202000", "三都乡", "Sandu Township", []),
    ("331124203000", "竹源乡", "Zhuyuan Township", []),
    ("331124204000", "四都乡", "Sidu Township", []),
    ("331124205000", "赤寿乡", "Chishou Township", []),
    ("331124206000", "樟溪乡", "Zhangxi Township", []),
    ("331124207000", "枫坪乡", "Fengping Township", []),
    ("331124208000", "板桥畲族乡", "Banqiao She Ethnic Township", []),
    ("331124209000", "裕溪乡", "Yuxi Township", []),
    ("331124210000", "安民乡", "Anmin Township", []),
]


def seed_townships(session: Session) -> int:
    """Add the demo county's townships and villages that are missing; return how many were added."""
    added = 0
    for code, name, name_en, villages in TOWNSHIPS:
        township = session.get(Township, code)
        if township is None:
            township = create_township(session, None, {"code": code, "name": name, "name_en": name_en})
            added += 1
        for v_code, v_name, v_name_en in villages:
            if session.get(Village, v_code) is None:
                create_village(session, None, township, {"code": v_code, "name": v_name, "name_en": v_name_en})
                added += 1
    return added


def township_code_named(name: str) -> str:
    """Return the code of a demo county township by its Chinese name."""
    return next(code for code, zh, _, _ in TOWNSHIPS if zh == name)


def village_code_named(name: str) -> str:
    """Return the code of a demo county village by its Chinese name."""
    return next(code for _, _, _, villages in TOWNSHIPS for code, zh, _ in villages if zh == name)
