"""The monthly report as files: CSV (UTF-8 with BOM), XLSX (one sheet per section) and PDF (tables, a chart page)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from fpdf import FPDF
from openpyxl import Workbook

from trace.codes.fonts import drawable
from trace.codes.pdfdraw import new_pdf
from trace.services.statistics.reports import COLUMNS, FIGURE_ZH, SECTIONS, MonthlyReport

FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SECTION_ZH = {"total": "全县合计", "township": "分乡镇", "category": "分品类"}
# The figures the PDF's township and category tables show (all of them are in CSV and XLSX).
PDF_FIGURES = ("organizations_active", "records", "sales_online_amount_cny", "sales_offline_amount_cny",
               "aid_sales_amount_cny", "inspection_pass_rate")


def report_csv(report: MonthlyReport) -> bytes:
    """Return the report as one CSV table, the columns in ``COLUMNS``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(report.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_xlsx(report: MonthlyReport) -> bytes:
    """Return the report as a workbook: one sheet per section, the columns in ``COLUMNS``; numbers as numbers."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for section in SECTIONS:
        sheet = book.create_sheet(section)
        sheet.append(list(COLUMNS))
        for row in report.rows:
            if row["section"] == section:
                sheet.append([_cell(row[c]) if c in ("value", "previous_month", "same_month_last_year",
                                                     "mom_change", "yoy_change") else row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(text: str) -> Decimal | str | None:
    return Decimal(text) if text else None


def report_pdf(report: MonthlyReport) -> bytes:
    """Return the report as an A4 PDF: the county's totals, the township and category tables, a chart page."""
    with new_pdf(210, 297, f"农产品追溯统计月报 {report.month}") as pdf:
        pdf.set_auto_page_break(True, margin=15)
        pdf.set_margins(15, 15, 15)
        pdf.add_page()
        pdf.set_font(size=16)
        pdf.cell(0, 10, drawable(f"农产品追溯统计月报  {report.month}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(size=9)
        pdf.cell(0, 6, drawable(f"环比：{report.previous}    同比：{report.last_year}    时区：Asia/Shanghai"),
                 new_x="LMARGIN", new_y="NEXT")
        for note in report.notes.values():
            pdf.multi_cell(0, 5, drawable(f"注：{note}"), new_x="LMARGIN", new_y="NEXT")
        _table(pdf, SECTION_ZH["total"], ["指标", "单位", "本月", "上月", "环比", "去年同月", "同比"],
               [[FIGURE_ZH[r["figure"]], r["unit"], r["value"], r["previous_month"], _percent(r["mom_change"]),
                 r["same_month_last_year"], _percent(r["yoy_change"])]
                for r in report.rows if r["section"] == "total"], [62, 12, 22, 22, 18, 22, 18])
        for section in ("township", "category"):
            pdf.add_page()
            header = ["", *(FIGURE_ZH[f] for f in PDF_FIGURES)]
            body = []
            for key in dict.fromkeys(r["key"] for r in report.rows if r["section"] == section):
                values = {r["figure"]: r["value"] for r in report.rows if r["section"] == section and r["key"] == key}
                name = next(r["name"] for r in report.rows if r["section"] == section and r["key"] == key)
                body.append([name or key or "（未登记）", *(values.get(f, "") for f in PDF_FIGURES)])
            _table(pdf, f"{SECTION_ZH[section]}（本月）", header, body, [40, 22, 22, 26, 26, 24, 20])
        _charts(pdf, report)
        return bytes(pdf.output())


def _percent(ratio: str) -> str:
    return f"{Decimal(ratio) * 100:+.1f}%" if ratio else ""


def _table(pdf: FPDF, title: str, header: list[str], body: list[list[str]], widths: list[float]) -> None:
    pdf.set_font(size=12)
    pdf.cell(0, 9, drawable(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=7)
    for i, row in enumerate([header, *body]):
        pdf.set_fill_color(230, 236, 230) if i == 0 else pdf.set_fill_color(255, 255, 255)
        for text, width in zip(row, widths, strict=False):
            pdf.cell(width, 6, drawable(str(text))[:40], border=1, fill=i == 0)
        pdf.ln(6)


def _charts(pdf: FPDF, report: MonthlyReport) -> None:
    """Draw the chart page: sales per month (13 months), and this month's sales by township and by category."""
    pdf.add_page()
    pdf.set_font(size=12)
    pdf.cell(0, 9, drawable("图表：销售额（元）"), new_x="LMARGIN", new_y="NEXT")
    trend = [(month[2:], online + offline) for month, online, offline in report.trend]
    _bars(pdf, "近13个月销售额（线上＋线下）", trend, 30)
    for section, top in (("township", 115), ("category", 200)):
        pairs = []
        for r in report.rows:
            if r["section"] == section and r["figure"] in ("sales_online_amount_cny", "sales_offline_amount_cny"):
                pairs.append((r["name"] or r["key"] or "未登记", Decimal(r["value"] or 0)))
        summed: dict[str, Decimal] = {}
        for name, value in pairs:
            summed[name] = summed.get(name, Decimal(0)) + value
        _bars(pdf, f"本月销售额：{SECTION_ZH[section]}", list(summed.items()), top)


def _bars(pdf: FPDF, title: str, values: list[tuple[str, Decimal]], top: float) -> None:
    pdf.set_font(size=9)
    pdf.set_xy(15, top)
    pdf.cell(0, 6, drawable(title))
    left, bottom, height, width = 25.0, top + 70, 55.0, 170.0
    pdf.set_draw_color(80, 80, 80)
    pdf.line(left, bottom, left + width, bottom)
    highest = max((v for _, v in values), default=Decimal(0))
    if not values or highest <= 0:
        pdf.set_xy(left, bottom - 20)
        pdf.cell(0, 6, drawable("（无数据）"))
        return
    step = width / len(values)
    pdf.set_font(size=6)
    for i, (label, value) in enumerate(values):
        bar = float(value / highest) * height
        x = left + i * step + step * 0.15
        pdf.set_fill_color(46, 125, 50)
        pdf.rect(x, bottom - bar, step * 0.7, bar, style="F")
        pdf.set_xy(x - 2, bottom + 1)
        pdf.cell(step * 0.7 + 4, 4, drawable(label)[:8], align="C")
        pdf.set_xy(x - 2, bottom - bar - 4)
        pdf.cell(step * 0.7 + 4, 4, f"{value:.0f}", align="C")
