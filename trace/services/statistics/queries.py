"""The statistics query: figures of a period grouped by township, category, organization or month.

Figures from records come from the counters (whole months from month rows, the days of a cut month
from day rows): no query reads the records. Figures of registers (certifications, brand grants,
feedback, findings) come from their own small tables. Definitions: docs/statistics.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.errors import ValidationError
from trace.models import (
    Batch,
    BrandGrant,
    Category,
    Certification,
    CertificationProduct,
    ComplianceFinding,
    Feedback,
    Organization,
    Product,
    Township,
    User,
)
from trace.models.organization import Role
from trace.models.statistics import StatisticsCounter as C
from trace.services.statistics.lookups import lookup_counts
from trace.times import CHINA

GROUPS = ("township", "category", "organization", "month")
MAX_DAYS = 3660  # ten years
MILLION = Decimal(1_000_000)


def months_of(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Return each month the period touches: (YYYY-MM, first day in the period, last day in the period)."""
    found, day = [], start.replace(day=1)
    while day <= end:
        following = (day + dt.timedelta(days=32)).replace(day=1)
        found.append((day.isoformat()[:7], max(day, start), min(following - dt.timedelta(days=1), end)))
        day = following
    return found


def check_period(start: dt.date, end: dt.date) -> None:
    """Refuse a period that ends before it starts or spans more than ten years."""
    if end < start:
        raise ValidationError("The period ends before it starts.", errors={"to": ["Before from."]})
    if (end - start).days >= MAX_DAYS:
        raise ValidationError("The period spans more than ten years.", errors={"to": ["At most ten years after from."]})


def statistics(session: Session, actor: User | None, group: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Return the figures of ``start``..``end`` (days in Asia/Shanghai) by group, with the totals.

    Inspectors and administrators (and the CLI, ``actor=None``) see the county; anyone else only
    their own organization.
    """
    check_period(start, end)
    if group not in GROUPS:
        raise ValidationError(f"Group by one of {', '.join(GROUPS)}.", errors={"group": ["Unknown group."]})
    only = None if actor is None or actor.role in (Role.ADMIN, Role.INSPECTOR) else actor.organization_id
    keyed = _counters(session, group, start, end, only)
    total = _counters(session, None, start, end, only)
    tables = _registers(session, group, start, end, only)
    table_total = _registers(session, None, start, end, only)
    by_org = {org: n for org, n in (lookup_counts(session, start, end) or {}).items() if only in (None, org)}
    grouped = _lookups_by(session, group, by_org)
    keys = sorted(keyed.keys() | tables.keys(), key=str)
    names = _names(session, group, keys)
    rows = [{"key": key, "name": names.get(key),
             **_figures(keyed.get(key), tables.get(key), grouped.get(key, (0, 0)) if grouped is not None else None)}
            for key in keys]
    looked_total = (sum(n[0] for n in by_org.values()), sum(n[1] for n in by_org.values()))
    return {"group": group, "from": start.isoformat(), "to": end.isoformat(), "timeZone": "Asia/Shanghai",
            "organization": only, "rows": rows,
            "total": _figures(total.get(None), table_total.get(None), looked_total),
            "notes": {} if grouped is not None else {"lookups": LOOKUPS_BY_GROUP}}


# Lookup counters are kept per code and day, not per category or month: those groups give totals only.
LOOKUPS_BY_GROUP = ("Lookups and unit scans are reported by organization, by township and in total, "
                    "not per category or month.")


def _lookups_by(session: Session, group: str, by_org: dict[int, tuple[int, int]]) -> dict[Any, tuple[int, int]] | None:
    """Return (lookups, unit scans) per group key, or None for groups the counters cannot split by."""
    if group == "organization":
        return by_org
    if group != "township":
        return None
    townships = dict(session.execute(sa.select(Organization.id, Organization.township_code)).all())
    out: dict[Any, tuple[int, int]] = {}
    for org, (pages, scans) in by_org.items():
        key = townships.get(org) or ""  # organizations in no township: the "" row, as the counters have it
        seen = out.get(key, (0, 0))
        out[key] = (seen[0] + pages, seen[1] + scans)
    return out


# --- counters ------------------------------------------------------------------------------
def _counters(session: Session, group: str | None, start: dt.date, end: dt.date,
              only: int | None) -> dict[Any, dict[str, Any]]:
    """Return per group key: {"sums": {(figure, uom): [count, micro, fen]}, "active": n}."""
    months = months_of(start, end)
    whole = [m for m, first, last in months if first.day == 1 and (last + dt.timedelta(days=1)).day == 1]
    cut = [(first.isoformat(), last.isoformat()) for m, first, last in months if m not in whole]
    by_org = group == "organization" or only is not None

    def column(grain: str) -> Any:
        if group == "township":
            return C.township_code
        if group == "category":
            return C.category
        if group == "organization":
            return C.organization_id
        if group == "month":
            return C.period if grain == "m" else sa.func.substr(C.period, 1, 7)
        return sa.literal(None)

    def where(grain: str, county: bool) -> list[Any]:
        if grain == "m" and county and only is None:  # the county-wide month rows of this grouping
            grain = {"township": "T", "category": "C"}.get(group or "", "A")
        clauses: list[Any] = [C.grain == grain]
        if grain == "d":
            clauses.append(sa.or_(*(C.period.between(a, b) for a, b in cut)))
        else:
            clauses.append(C.period.in_(whole))
        if only is not None:
            clauses.append(C.organization_id == only)
        return clauses

    parts = [g for g, present in (("m", whole), ("d", cut)) if present]
    result: dict[Any, dict[str, Any]] = defaultdict(lambda: {"sums": defaultdict(lambda: [0, 0, 0]), "active": 0})
    for grain in parts:
        key = column(grain).label("key")
        query = (sa.select(key, C.figure, C.uom, sa.func.sum(C.count), sa.func.sum(C.quantity_micro),
                           sa.func.sum(C.amount_fen))
                 .where(*where(grain, county=not by_org)).group_by(key, C.figure, C.uom))
        sums_rows: Any = session.execute(query)
        for k, figure, uom, count, quantity, amount in sums_rows:
            sums = result[k]["sums"][(figure, uom)]
            sums[0] += int(count or 0)
            sums[1] += int(quantity or 0)
            sums[2] += int(amount or 0)
    # Organizations active: distinct organizations with a record, from the organizations' own rows.
    active = []
    for grain in parts:
        key = column(grain).label("key")
        active.append(sa.select(key, C.organization_id.label("org"))
                      .where(*where(grain, county=False), C.figure == "records"))
    if active:
        union = sa.union(*active).subquery()
        query = sa.select(union.c.key, sa.func.count(sa.distinct(union.c.org))).group_by(union.c.key)
        counted: Any = session.execute(query)
        for k, n in counted:
            result[k]["active"] = int(n)
    return result


# --- registers -----------------------------------------------------------------------------
def _registers(session: Session, group: str | None, start: dt.date, end: dt.date,
               only: int | None) -> dict[Any, dict[str, int]]:
    """Return per group key the figures of certifications, brand grants, feedback and findings."""
    result: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    since = dt.datetime.combine(start, dt.time(), CHINA)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA)
    townships = dict(session.execute(sa.select(Organization.id, Organization.township_code)).all())
    month_ends: list[tuple[str | None, dt.date]] = (
        [(m, last) for m, _, last in months_of(start, end)] if group == "month" else [(None, end)])

    def keys(org: int, category: str | None, month: str | None) -> list[Any]:
        if only is not None and org != only:
            return []
        if group == "township":
            return [townships.get(org) or ""]
        if group == "category":
            return [category or ""]
        if group == "organization":
            return [org]
        return [month]

    certs = sa.select(Certification.id, Certification.organization_id, Certification.valid_from,
                      Certification.valid_until, Certification.check_result).where(
        Certification.valid_from <= end, Certification.valid_until >= start)
    cert_categories: dict[int, set[str]] = defaultdict(set)
    for cert_id, code in session.execute(
            sa.select(CertificationProduct.certification_id, Category.code)
            .join(Product, Product.id == CertificationProduct.product_id)
            .join(Category, Category.id == Product.category_id)):
        cert_categories[cert_id].add(code)
    for cert_id, org, valid_from, valid_until, check in session.execute(certs):
        for month, last in month_ends:
            if check != "rejected" and valid_from <= last <= valid_until:
                for category in _each_category(group, sorted(cert_categories[cert_id])):
                    for k in keys(org, category, month):
                        result[k]["certificationsValid"] += 1
    grants = sa.select(BrandGrant.organization_id, BrandGrant.categories, BrandGrant.valid_from,
                       BrandGrant.valid_until, BrandGrant.revoked_at).where(
        BrandGrant.valid_from <= end, BrandGrant.valid_until >= start)
    for org, categories, valid_from, valid_until, revoked_at in session.execute(grants):
        for month, last in month_ends:
            ends = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CHINA)
            if valid_from <= last <= valid_until and (revoked_at is None or revoked_at >= ends):
                for category in _each_category(group, list(categories or [])):
                    for k in keys(org, category, month):
                        result[k]["brandGrantsValid"] += 1
    feedback = (sa.select(Feedback.organization_id, Category.code, Feedback.created_at)
                .join(Batch, Batch.id == Feedback.batch_id).join(Product, Product.id == Batch.product_id)
                .join(Category, Category.id == Product.category_id)
                .where(Feedback.created_at >= since, Feedback.created_at < until))
    for org, category, created in session.execute(feedback):
        for k in keys(org, category, created.astimezone(CHINA).date().isoformat()[:7]):
            result[k]["feedbackReceived"] += 1
    findings = (sa.select(Batch.organization_id, Category.code, ComplianceFinding.created_at,
                          ComplianceFinding.resolved_at)
                .join(Batch, Batch.id == ComplianceFinding.batch_id).join(Product, Product.id == Batch.product_id)
                .join(Category, Category.id == Product.category_id)
                .where(ComplianceFinding.created_at >= since, ComplianceFinding.created_at < until))
    for org, category, created, resolved in session.execute(findings):
        if resolved is None or resolved >= until:
            for k in keys(org, category, created.astimezone(CHINA).date().isoformat()[:7]):
                result[k]["openFindings"] += 1
    return result


def _each_category(group: str | None, categories: list[str]) -> list[str | None]:
    """Return the categories a register row counts under: each of its own when grouping by category."""
    return list(categories) or [None] if group == "category" else [None]


# --- shaping -------------------------------------------------------------------------------
def _number(micro: int, scale: Decimal) -> str:
    value = (Decimal(micro) / scale).normalize()
    return f"{value:f}"


def _figures(counters: dict[str, Any] | None, registers: dict[str, int] | None,
             looked: tuple[int, int] | None) -> dict[str, Any]:
    """Return a group's figures in the API's shape (docs/statistics.md)."""
    sums = counters["sums"] if counters else {}
    registers = registers or {}

    def count(figure: str) -> int:
        return sum(v[0] for (f, _), v in sums.items() if f == figure)

    def quantities(figure: str) -> list[dict[str, str]]:
        return [{"uom": uom, "value": _number(v[1], MILLION)}
                for (f, uom), v in sorted(sums.items()) if f == figure and uom and v[1]]

    def sales(prefix: str) -> dict[str, Any]:
        found = {}
        for channel in ("online", "offline"):
            figure = f"{prefix}.{channel}"
            found[channel] = {"count": count(figure), "quantity": quantities(figure),
                              "amount": _number(sum(v[2] for (f, _), v in sums.items() if f == figure), Decimal(100))}
        return found

    inspections: dict[str, Any] = {}
    for (figure, _), _v in sums.items():
        parts = figure.split(".")
        if parts[0] == "inspections" and len(parts) == 2:
            done, passed = count(figure), count(f"{figure}.passed")
            inspections[parts[1]] = {"count": done, "passed": passed,
                                     "passRate": _rate(passed, done)}
    done = sum(v["count"] for v in inspections.values())
    passed = sum(v["passed"] for v in inspections.values())
    by_stage = {f.split(".", 1)[1]: count(f) for (f, _) in sorted(sums) if f.startswith("records.")}
    return {
        "organizationsActive": counters["active"] if counters else 0,
        "batchesRegistered": {"count": count("batches.registered"), "quantity": quantities("batches.registered")},
        "batchesFromTransformations": {"count": count("batches.transformed"),
                                       "quantity": quantities("batches.transformed")},
        "records": {"total": count("records"), "byStage": by_stage},
        "inspections": {"total": done, "passed": passed, "passRate": _rate(passed, done), "byBasis": inspections},
        "certificationsValid": registers.get("certificationsValid", 0),
        "brandGrantsValid": registers.get("brandGrantsValid", 0),
        "sales": sales("sales"),
        "aidSales": sales("aid_sales"),
        "lookups": looked[0] if looked is not None else None,
        "unitScans": looked[1] if looked is not None else None,
        "feedbackReceived": registers.get("feedbackReceived", 0),
        "feedbackAnswered": None,
        "recalls": count("records.recall"),
        "openFindings": registers.get("openFindings", 0),
    }


def _rate(passed: int, done: int) -> str | None:
    return f"{(Decimal(passed) / Decimal(done)).quantize(Decimal('0.0001'))}" if done else None


def _names(session: Session, group: str, keys: list[Any]) -> dict[Any, str]:
    if group == "township":
        return dict(session.execute(sa.select(Township.code, Township.name).where(Township.code.in_(keys))).all())
    if group == "category":
        return dict(session.execute(sa.select(Category.code, Category.name_zh).where(Category.code.in_(keys))).all())
    if group == "organization":
        ids = [k for k in keys if isinstance(k, int)]
        query = sa.select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        return dict(session.execute(query).all())
    return {k: k for k in keys}
