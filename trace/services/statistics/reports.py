"""The monthly report: the county's figures of a month beside the month before and the same month a year
before, in total, per township and per category; its columns are stable (docs/statistics.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from trace.errors import ValidationError
from trace.models import User
from trace.services.statistics.queries import statistics

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SECTIONS = ("total", "township", "category")
COLUMNS = ("section", "key", "name", "figure", "figure_zh", "unit", "value", "previous_month", "mom_change",
           "same_month_last_year", "yoy_change")

# (figure id, Chinese name): the rows of every section, in this order.
FIGURES: tuple[tuple[str, str], ...] = (
    ("organizations_active", "活跃经营主体数"),
    ("batches_registered", "登记批次数"),
    ("batches_registered_quantity", "登记批次数量"),
    ("batches_from_transformations", "加工产出批次数"),
    ("records", "签名记录数"),
    ("inspections", "检测次数"),
    ("inspections_passed", "检测合格次数"),
    ("inspection_pass_rate", "检测合格率"),
    ("certifications_valid", "有效认证数"),
    ("brand_grants_valid", "有效品牌授权数"),
    ("sales_online_count", "网络销售笔数"),
    ("sales_online_quantity", "网络销售数量"),
    ("sales_online_amount_cny", "农产品网络零售额（元）"),
    ("sales_offline_count", "线下销售笔数"),
    ("sales_offline_quantity", "线下销售数量"),
    ("sales_offline_amount_cny", "线下销售额（元）"),
    ("aid_sales_count", "帮扶对象销售笔数"),
    ("aid_sales_quantity", "帮扶对象销售数量"),
    ("aid_sales_amount_cny", "帮扶对象销售额（元）"),
    ("lookups", "追溯查询次数"),
    ("unit_scans", "单品扫码次数"),
    ("feedback_received", "收到反馈数"),
    ("feedback_answered", "已答复反馈数"),
    ("recalls", "召回数"),
    ("open_findings", "未结合规问题数"),
)
FIGURE_ZH = dict(FIGURES)


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    previous: str
    last_year: str
    rows: list[dict[str, Any]]  # one per section, key, figure and unit: COLUMNS
    trend: list[tuple[str, Decimal, Decimal]]  # the 13 months to this one: (month, online amount, offline amount)
    notes: dict[str, str]


def parse_month(text: str) -> dt.date:
    """Return the first day of a YYYY-MM month, or raise a 422 naming ``month``."""
    match = MONTH.match(text or "")
    if not match:
        raise ValidationError("Give the month as YYYY-MM.", errors={"month": ["A month, e.g. 2026-11."]})
    year, month = int(match[1]), int(match[2])
    # The report also covers the month before, the same month a year before and the month's last day.
    if not (2, 1) <= (year, month) <= (9999, 11):
        raise ValidationError("The month is out of range.",
                              errors={"month": ["A month from 0002-01 to 9999-11, e.g. 2026-11."]})
    return dt.date(year, month, 1)


def shift(first: dt.date, months: int) -> dt.date:
    """Return the first day of the month ``months`` after (or before) ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_day(first: dt.date) -> dt.date:
    return shift(first, 1) - dt.timedelta(days=1)


def flatten(figures: dict[str, Any]) -> dict[tuple[str, str], Decimal | None]:
    """Return a group's figures as (figure id, unit) -> value, the report's rows."""
    sales, aid = figures["sales"], figures["aidSales"]
    inspections = figures["inspections"]
    flat: dict[tuple[str, str], Decimal | None] = {}

    def put(name: str, value: Any, unit: str = "") -> None:
        flat[(name, unit)] = None if value is None else Decimal(str(value))

    put("organizations_active", figures["organizationsActive"])
    put("batches_registered", figures["batchesRegistered"]["count"])
    for q in figures["batchesRegistered"]["quantity"]:
        put("batches_registered_quantity", q["value"], q["uom"])
    put("batches_from_transformations", figures["batchesFromTransformations"]["count"])
    put("records", figures["records"]["total"])
    put("inspections", inspections["total"])
    put("inspections_passed", inspections["passed"])
    put("inspection_pass_rate", inspections["passRate"])
    put("certifications_valid", figures["certificationsValid"])
    put("brand_grants_valid", figures["brandGrantsValid"])
    for channel in ("online", "offline"):
        put(f"sales_{channel}_count", sales[channel]["count"])
        for q in sales[channel]["quantity"]:
            put(f"sales_{channel}_quantity", q["value"], q["uom"])
        put(f"sales_{channel}_amount_cny", sales[channel]["amount"])
    put("aid_sales_count", aid["online"]["count"] + aid["offline"]["count"])
    units: dict[str, Decimal] = {}
    for channel in ("online", "offline"):
        for q in aid[channel]["quantity"]:
            units[q["uom"]] = units.get(q["uom"], Decimal(0)) + Decimal(q["value"])
    for uom, value in sorted(units.items()):
        put("aid_sales_quantity", value, uom)
    put("aid_sales_amount_cny", Decimal(aid["online"]["amount"]) + Decimal(aid["offline"]["amount"]))
    put("lookups", figures["lookups"])
    put("unit_scans", figures["unitScans"])
    put("feedback_received", figures["feedbackReceived"])
    put("feedback_answered", figures["feedbackAnswered"])
    put("recalls", figures["recalls"])
    put("open_findings", figures["openFindings"])
    return flat


def change(now: Decimal | None, before: Decimal | None) -> str:
    """Return the relative change from ``before`` to ``now`` (0.1250 = +12.5 %), empty when undefined."""
    if now is None or before is None or before == 0:
        return ""
    return f"{((now - before) / before).quantize(Decimal('0.0001'))}"


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def monthly_report(session: Session, actor: User | None, month: str) -> MonthlyReport:
    """Return the report of a YYYY-MM month (what the actor may see: the county, or their organization)."""
    first = parse_month(month)
    periods = {"value": first, "previous_month": shift(first, -1), "same_month_last_year": shift(first, -12)}
    rows: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    for section in SECTIONS:
        found: dict[str, dict[Any, dict[tuple[str, str], Decimal | None]]] = {}
        names: dict[Any, str | None] = {}
        for column, start in periods.items():
            result = statistics(session, actor, "township" if section == "total" else section, start,
                                last_day(start))
            notes.update(result["notes"])
            if section == "total":
                found[column] = {"": flatten(result["total"])}
            else:
                found[column] = {row["key"]: flatten(row) for row in result["rows"]}
                names.update({row["key"]: row["name"] for row in result["rows"] if column == "value"})
        keys = [""] if section == "total" else sorted(found["value"].keys() | found["previous_month"].keys()
                                                       | found["same_month_last_year"].keys(), key=str)
        for key in keys:
            flat = {column: found[column].get(key, {}) for column in periods}
            figure_units = {fu for values in flat.values() for fu in values}
            order = {name: i for i, (name, _) in enumerate(FIGURES)}
            for figure, unit in sorted(figure_units, key=lambda fu: (order[fu[0]], fu[1])):
                now = flat["value"].get((figure, unit))
                before = flat["previous_month"].get((figure, unit))
                year_ago = flat["same_month_last_year"].get((figure, unit))
                rows.append({"section": section, "key": str(key), "name": names.get(key) or "",
                             "figure": figure, "figure_zh": FIGURE_ZH[figure], "unit": unit,
                             "value": _text(now), "previous_month": _text(before), "mom_change": change(now, before),
                             "same_month_last_year": _text(year_ago), "yoy_change": change(now, year_ago)})
    trend_rows = statistics(session, actor, "month", shift(first, -12), last_day(first))["rows"]
    trend = [(row["key"], Decimal(row["sales"]["online"]["amount"]), Decimal(row["sales"]["offline"]["amount"]))
             for row in trend_rows]
    return MonthlyReport(month=month, previous=periods["previous_month"].isoformat()[:7],
                         last_year=periods["same_month_last_year"].isoformat()[:7], rows=rows, trend=trend,
                         notes=notes)
