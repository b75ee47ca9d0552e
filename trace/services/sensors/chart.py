"""A small server-side SVG of a batch's cold-chain temperatures with the allowed band (no script, no fonts fetched)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from xml.sax.saxutils import escape

from trace.services.sensors.chain import Segment, thin
from trace.times import CHINA

WIDTH, HEIGHT = 320, 130
LEFT, RIGHT, TOP, BOTTOM = 30, 8, 8, 22


def _span(segments: list[Segment]) -> tuple[dt.datetime, dt.datetime]:
    start = min(p[0] for s in segments for p in s.series)
    end = max(p[0] for s in segments for p in s.series)
    return start, end if end > start else start + dt.timedelta(minutes=1)


def _range(segments: list[Segment]) -> tuple[Decimal, Decimal]:
    values = [p[1] for s in segments for p in s.series]
    values += [b for s in segments if s.band for b in (s.band.low, s.band.high) if b is not None]
    low, high = min(values) - 1, max(values) + 1
    return low, high if high > low else low + 2


def cold_chain_svg(segments: list[Segment], title: str) -> str:
    """Return the chart: one line per place, the allowed band shaded behind, excursions in red."""
    start, end = _span(segments)
    low, high = _range(segments)
    seconds = (end - start).total_seconds()
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: dt.datetime) -> float:
        return LEFT + plot_w * (moment - start).total_seconds() / seconds

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((high - value) / (high - low))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
             f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="coldchart">',
             f"<title>{escape(title)}</title>"]
    for segment in segments:
        band = segment.band
        if band is None:
            continue
        x0, x1 = x(segment.series[0][0]), x(segment.series[-1][0])
        top = y(band.high) if band.high is not None else TOP
        bottom = y(band.low) if band.low is not None else TOP + plot_h
        parts.append(f'<rect x="{x0:.1f}" y="{top:.1f}" width="{max(x1 - x0, 1):.1f}" height="{bottom - top:.1f}" '
                     'fill="#dff3e4"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>')
    for segment in segments:
        points = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in thin(segment.series))
        parts.append(f'<polyline points="{points}" fill="none" stroke="#1f6fb2" stroke-width="1.5"/>')
        for e in segment.excursions:
            run = [(at, v) for at, v in segment.series if e.start <= at <= e.end]
            line = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in thin(run))
            parts.append(f'<polyline points="{line}" fill="none" stroke="#c62828" stroke-width="2.5"/>')
    for value in (low + 1, high - 1):
        parts.append(f'<text x="{LEFT - 3}" y="{y(value) + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="#555">{_number(value)}</text>')
    for moment, anchor in ((start, "start"), (end, "end")):
        parts.append(f'<text x="{x(moment):.1f}" y="{HEIGHT - 6}" font-size="9" text-anchor="{anchor}" '
                     f'fill="#555">{moment.astimezone(CHINA):%m-%d %H:%M}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") + "°"
