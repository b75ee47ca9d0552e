"""Server-side SVG charts for console pages: no script, no external asset, presentation attributes only
(the pages' CSP allows no inline style but our one stylesheet)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 600, 160, 24


def bar_chart(points: Sequence[tuple[str, int]], title: str) -> str:
    """Return an SVG bar chart of labelled counts, scaled to the largest; every bar has its value as a title."""
    top = max((v for _, v in points), default=0) or 1
    n = max(len(points), 1)
    step = (WIDTH - 2 * PAD) / n
    bars = []
    for i, (label, value) in enumerate(points):
        h = (HEIGHT - 2 * PAD) * value / top
        x, y = PAD + i * step, HEIGHT - PAD - h
        bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" fill="#2e7d32">'
                    f"<title>{escape(label)}: {value}</title></rect>")
    first = escape(points[0][0]) if points else ""
    last = escape(points[-1][0]) if points else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}" width="100%">'
            f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#5b6b5b"/>'
            + "".join(bars)
            + f'<text x="{PAD}" y="{HEIGHT - 6}" font-size="12" fill="#5b6b5b">{first}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="12" fill="#5b6b5b" text-anchor="end">{last}</text>'
            f'<text x="{PAD}" y="{PAD - 8}" font-size="12" fill="#5b6b5b">{top}</text></svg>')
