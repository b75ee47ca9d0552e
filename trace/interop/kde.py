"""Key data elements per tracking event, as CSV and XLSX (in the spirit of an FSMA 204 24-hour request).

One row per event and batch line (a transformation has a row per input and per output): what
(product, trace code, lot), how much, where from, where to, when, and the reference documents;
then a column per extra field of the category templates the records name (labelled as the
version a record names labels it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import astuple, dataclass, fields
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from trace.interop.xmltext import xml_text
from trace.ledger.policy import COMMISSIONED, SELF_CHECK, SUPERVISORY, result_basis
from trace.schemas.stage_extra import NamedTemplates, extra_definitions
from trace.stages import stage as stage_named
from trace.times import CHINA

ROLES = {"subject": "对象 subject", "input": "投入 input", "output": "产出 output"}


@dataclass(frozen=True)
class KdeRow:
    event_time: dt.datetime
    stage: str
    cte: str
    role: str
    trace_code: str
    product: str
    category: str
    gtin: str
    lot: str
    quantity: Decimal | None
    uom: str
    recorded_by: str
    ship_from: str
    ship_to: str
    location: str
    origin: str
    references: str
    event_id: str
    recorded_at: dt.datetime
    log_index: int | None
    basis: str = ""  # a test result's: 委托检测 / 监督抽检 / 自检 (ledger/policy.py)
    signed_by: str = ""  # a test result's signer and what it is: the laboratory, the inspector or the producer
    # (column header, value) of each extra field the record holds.
    extra: tuple[tuple[str, Any], ...] = ()


HEADER = [
    "发生时间 Event time (UTC+8)", "环节 Stage", "关键追踪事件 FSMA 204 CTE", "角色 Role", "追溯码 Trace code",
    "产品 Product", "品类 Category", "GTIN", "批号 Lot", "数量 Quantity", "单位 Unit", "记录单位 Recorded by",
    "发出方 Ship from", "接收方 Ship to", "地点 Location", "产地 Origin", "参考文件 Reference documents",
    "事件编号 Event ID", "记录时间 Recorded at (UTC+8)", "日志序号 Log index", "检测依据 Test basis",
    "检测签名 Result signed by",
]
BASES = {COMMISSIONED: "委托检测 commissioned", SUPERVISORY: "监督抽检 supervisory", SELF_CHECK: "自检 self-check"}
SIGNERS = {COMMISSIONED: "检测机构 laboratory", SUPERVISORY: "监管 inspector", SELF_CHECK: "生产者 producer"}


def _place(place: dict[str, Any] | None) -> str:
    if not place:
        return ""
    coords = f"{place['latitude']},{place['longitude']}" if place.get("latitude") and place.get("longitude") else ""
    return " ".join(p for p in (place.get("name") or "", coords) if p)


def _references(event: Any) -> str:
    data = event.data or {}
    refs = []
    for key, label in stage_named(event.stage).references:
        if data.get(key) is not None:
            refs.append(f"{label} {data[key]}")
    refs += [f"附件 attachment {a.get('name')} sha256:{a.get('sha256', '')[:12]}" for a in event.attachments or []]
    return "; ".join(refs)


def _extra(stage: str, data: dict[str, Any], templates: NamedTemplates) -> tuple[tuple[str, Any], ...]:
    """Return a record's extra fields as (header, cell): labels and enum options in both languages."""
    values = data.get("extra")
    if not isinstance(values, dict):
        return ()
    cells = []
    for definition in extra_definitions(stage, data, templates):
        value = values.get(definition["name"])
        if value is None:
            continue
        if definition["type"] == "enum":
            option = next((o for o in definition["options"] if o["value"] == value), None)
            value = f"{option['labelZh']} {option['labelEn']}" if option else value
        elif definition["type"] == "boolean":
            value = "是 yes" if value is True else "否 no"
        elif definition["type"] == "number":
            value = Decimal(str(value))
        unit = f" ({definition['unit']})" if definition.get("unit") else ""
        cells.append((f"{definition['labelZh']} {definition['labelEn']}{unit}", value))
    return tuple(cells)


def kde_rows(events: list[Any], orgs: dict[int, Any], log_index: dict[str, int],
             templates: NamedTemplates | None = None) -> list[KdeRow]:
    """Return the rows for some events (with their batches loaded); ``templates``: the versions they name."""
    def name(org_id: Any) -> str:
        return orgs[org_id].name if isinstance(org_id, int) and org_id in orgs else ""

    rows = []
    for event in events:
        data, stage = event.data or {}, stage_named(event.stage)
        own = name(event.organization_id)
        extra = _extra(event.stage, data, templates or {})
        ship_from, ship_to = stage.ship_from_to(data, own, name)
        basis = signed_by = ""
        if stage.vouches:  # who vouches for a result: the basis it states and the organization whose key signed it
            signer = orgs.get(event.organization_id)
            code = result_basis(data, signer.kind if signer is not None else None)
            what = SIGNERS[COMMISSIONED] if data.get("request") or data.get("sample") else SIGNERS.get(code, code)
            basis, signed_by = BASES.get(code, code), f"{own}（{what}）"
        for eb in event.batches:
            batch = eb.batch
            quantity = eb.quantity
            if quantity is None and data.get("quantity") is not None and len(event.batches) == 1:
                quantity = Decimal(str(data["quantity"]))
            rows.append(KdeRow(
                event.occurred_at, f"{stage.title('zh')} {stage.title('en')}", stage.cte, ROLES[eb.role],
                batch.trace_code, batch.product.name, batch.product.category.code, batch.product.gtin or "",
                batch.lot, quantity, (eb.uom or data.get("uom") or batch.uom) if quantity is not None else batch.uom,
                own, ship_from, ship_to,
                _place(event.location) or " ".join(p for p in (orgs[event.organization_id].county,
                                                               orgs[event.organization_id].township) if p),
                _place(batch.origin), _references(event), event.id, event.recorded_at, log_index.get(event.id),
                basis, signed_by, extra,
            ))
    return rows


def _safe(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _xlsx_value(value: Any) -> Any:
    """Return a cell value for the .xlsx: local time, or text neutralised and fit for its XML."""
    if isinstance(value, dt.datetime):
        return _local(value)
    return xml_text(_safe(value)) if isinstance(value, str) else value


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(CHINA).replace(tzinfo=None)


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else _safe(value)


BASE = len(fields(KdeRow)) - 1  # the columns every row has; extra fields follow


def _extra_header(rows: list[KdeRow]) -> list[str]:
    """Return the extra fields' columns: every header some row has, in order of first appearance."""
    return list(dict.fromkeys(header for row in rows for header, _ in row.extra))


def _cells(row: KdeRow, extra_header: list[str]) -> list[Any]:
    extra = dict(row.extra)
    return [*astuple(row)[:BASE], *(extra.get(header) for header in extra_header)]


def to_csv(rows: list[KdeRow]) -> str:
    """Return the rows as CSV, UTF-8 with a BOM so spreadsheet programs read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    extra_header = _extra_header(rows)
    writer.writerow(HEADER + extra_header)
    for row in rows:
        writer.writerow([_csv_value(v) for v in _cells(row, extra_header)])
    return "\ufeff" + out.getvalue()


def to_xlsx(rows: list[KdeRow]) -> bytes:
    """Return the rows as an XLSX workbook with a filterable, frozen header row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "KDE"
    extra_header = _extra_header(rows)
    sheet.append(HEADER + [xml_text(h) for h in extra_header])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in _cells(row, extra_header)])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(wrap_text=True, vertical="top")
    widths = [20, 16, 16, 12, 16, 20, 12, 16, 14, 12, 8, 24, 24, 24, 24, 28, 40, 38, 20, 10, 18, 32]
    widths += [20] * len(extra_header)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for column in ("A", "S"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADER) + len(extra_header))}{max(1, len(rows) + 1)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
