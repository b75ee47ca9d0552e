"""The page's cold chain as sensors saw it (a chart and one plain sentence), and the batch's shelf life."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from trace.models import Batch
from trace.services.catalog.shelf_life import best_before_day, shelf_life_of
from trace.services.compliance.compliance_rules import fmt
from trace.services.sensors.chain import Segment
from trace.services.sensors.chart import cold_chain_svg
from trace.times import show_time


def _band_text(segments: list[Segment]) -> str | None:
    bands = {(s.band.low, s.band.high) for s in segments if s.band is not None}
    if len(bands) != 1:
        return None
    low, high = bands.pop()
    return f"{fmt(low) if low is not None else '…'}–{fmt(high) if high is not None else '…'} °C"


def sensor_chain_view(segments: list[Segment] | None) -> dict[str, Any] | None:
    """Return the chart, the sentence and the excursions, in the request's language; None without readings."""
    if not segments:
        return None
    values = [v for s in segments for _, v in s.series]
    low, high = min(values), max(values)
    measured = f"{fmt(low)}–{fmt(high)} °C"
    excursions = [(s, e) for s in segments for e in s.excursions]
    band = _band_text(segments)
    if not excursions:
        sentence = _("Cold chain throughout: %(range)s, no excursion", range=measured)
    else:
        s, e = max(excursions, key=lambda pair: pair[1].peak if pair[0].band is None else pair[0].band.gap(
            pair[1].peak))
        sentence = _("%(n)s excursion(s). Longest at %(place)s: %(minutes)s minutes from %(time)s, peak "
                     "%(peak)s °C", n=len(excursions), place=s.location.name,
                     minutes=int(e.duration.total_seconds() // 60), time=show_time(e.start), peak=fmt(e.peak))
    title = _("Cold-chain temperatures, %(range)s", range=measured)
    return {
        "ok": not excursions, "sentence": sentence, "measured": measured,
        "required": _("Required %(band)s", band=band) if band else None,
        "readings": len(values), "svg": Markup(cold_chain_svg(segments, title)),  # noqa: S704 (numbers and escaped text)
        "places": [s.location.name for s in segments],
        "excursions": [{"place": s.location.name, "start": show_time(e.start), "end": show_time(e.end),
                        "minutes": int(e.duration.total_seconds() // 60), "peak": fmt(e.peak), "ongoing": e.ongoing}
                       for s, e in excursions],
    }


def shelf_life_view(batch: Batch, lang: str) -> dict[str, Any] | None:
    """Return the batch's 保质期 or 最佳食用期 and storage conditions; None if its product states none."""
    life = shelf_life_of(batch.product)
    if not life:
        return None
    best = best_before_day(batch)
    days = int(life["days"])
    if life.get("kind") == "best_before":
        label = _("Best before")
        text = show_date_of(best) if best else _("%(days)s days from production", days=days)
    else:
        label = _("Shelf life")
        text = _("%(days)s days (until %(date)s)", days=days, date=show_date_of(best)) if best else \
            _("%(days)s days", days=days)
    conditions = life.get("conditionsEn" if lang == "en" else "conditionsZh")
    return {"label": label, "text": text, "days": days, "kind": life.get("kind"),
            "bestBefore": best.isoformat() if best else None, "conditions": conditions}


def show_date_of(day: Any) -> str:
    return day.isoformat()


__all__ = ["sensor_chain_view", "shelf_life_view"]
