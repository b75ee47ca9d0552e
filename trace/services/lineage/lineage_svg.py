"""The lineage graph as SVG, for inspectors: sources on the left, the batch, what was made from it on the right.

Each batch is a box in the column of its signed depth (upstream −n … root 0 … downstream +n), with
its trace code, product, quantity and status; each link is an arrow labelled with the quantity
that went along it. Recalled batches are drawn in red. No script, no external references.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from xml.sax.saxutils import escape as _escape

from trace.interop.xmltext import xml_text

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN, HEADER = 210, 64, 90, 22, 20, 40

TEXT = {
    "zh": {"title": "追溯图谱", "upstream": "来源", "downstream": "去向", "recalled": "已召回",
           "hidden": "另有 {n} 个批次无权查看"},
    "en": {"title": "Lineage", "upstream": "sources", "downstream": "made from it", "recalled": "recalled",
           "hidden": "{n} more batches you may not see"},
}
def escape(text: str) -> str:
    """Return text escaped for XML content and attributes, without the characters XML cannot carry."""
    return _escape(xml_text(text), {'"': "&quot;"})


STATUS_ZH = {"active": "在库", "consumed": "已用完", "recalled": "已召回", "destroyed": "已销毁"}


def _column(batch: dict[str, Any]) -> int:
    return -batch["depth"] if batch["relation"] == "upstream" else batch["depth"]


def _positions(batches: list[dict[str, Any]]) -> tuple[dict[str, tuple[int, int]], int, int]:
    columns: dict[int, list[str]] = defaultdict(list)
    for batch in sorted(batches, key=lambda b: b["code"]):
        columns[_column(batch)].append(batch["code"])
    first = min(columns, default=0)
    tallest = max((len(codes) for codes in columns.values()), default=1)
    places = {}
    for column, codes in columns.items():
        x = MARGIN + (column - first) * (BOX_W + GAP_X)
        top = HEADER + (tallest - len(codes)) * (BOX_H + GAP_Y) // 2
        for row, code in enumerate(codes):
            places[code] = (x, top + row * (BOX_H + GAP_Y))
    width = 2 * MARGIN + len(columns) * BOX_W + max(len(columns) - 1, 0) * GAP_X
    height = HEADER + tallest * (BOX_H + GAP_Y) + MARGIN
    return places, width, height


def _quantity(value: Any, uom: str | None) -> str:
    return f"{value} {uom or ''}".strip()


def lineage_svg(view: dict[str, Any], lang: str = "zh") -> str:
    """Return the SVG drawing of a lineage view (``services.lineage.lineage_view``)."""
    t = TEXT["en" if lang == "en" else "zh"]
    places, width, height = _positions(view["batches"])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img">',
           f"<title>{escape(t['title'])} {escape(view['root'])}</title>",
           "<defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"8\" "
           "markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#555\"/></marker></defs>",
           f'<text x="{MARGIN}" y="24" font-size="15" font-weight="bold">{escape(t["title"])} · '
           f"{escape(view['root'])}</text>"]
    if view.get("hidden"):
        out.append(f'<text x="{width - MARGIN}" y="24" text-anchor="end" fill="#777">'
                   f"{escape(t['hidden'].format(n=view['hidden']))}</text>")
    for link in view["links"]:
        if link["from"] not in places or link["to"] not in places:
            continue
        (x1, y1), (x2, y2) = places[link["from"]], places[link["to"]]
        ax, ay, bx, by = x1 + BOX_W, y1 + BOX_H // 2, x2, y2 + BOX_H // 2
        label = escape(_quantity(link.get("quantity"), link.get("uom")))
        out.append(f'<g class="link" data-from="{escape(link["from"])}" data-to="{escape(link["to"])}">'
                   f'<path d="M{ax},{ay} C{ax + GAP_X // 2},{ay} {bx - GAP_X // 2},{by} {bx},{by}" fill="none" '
                   f'stroke="#555" marker-end="url(#arrow)"/>'
                   f'<text x="{(ax + bx) // 2}" y="{(ay + by) // 2 - 4}" text-anchor="middle" fill="#333">'
                   f"{label}</text></g>")
    for batch in view["batches"]:
        x, y = places[batch["code"]]
        recalled = batch.get("status") == "recalled" or batch.get("disposition") == "recalled"
        root = batch["relation"] == "root"
        stroke = "#c62828" if recalled else ("#1b5e20" if root else "#607d8b")
        status = t["recalled"] if recalled else (STATUS_ZH.get(batch.get("status", ""), batch.get("status", ""))
                                                  if lang != "en" else batch.get("status", ""))
        css = "batch recalled" if recalled else "batch"
        out.append(
            f'<g class="{css}" data-code="{escape(batch["code"])}" data-relation="{escape(batch["relation"])}">'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{"#ffebee" if recalled else "#fff"}"'
            f' stroke="{stroke}" stroke-width="{3 if root else 1.5}"/>'
            f'<text x="{x + 8}" y="{y + 18}" font-weight="bold" font-family="monospace">{escape(batch["code"])}</text>'
            f'<text x="{x + 8}" y="{y + 36}">{escape(str(batch.get("productName") or "")[:24])}</text>'
            f'<text x="{x + 8}" y="{y + 54}" fill="{stroke}">'
            f"{escape(_quantity(batch.get('quantity'), batch.get('uom')))} · {escape(status)}</text></g>")
    out.append("</svg>")
    return "\n".join(out)
