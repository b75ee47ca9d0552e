"""The key data of each stage as the public page lists it: localised labels and values, nothing private.

Records hold the stage data as the recorder sent it (camelCase keys, decimals as strings). Buyers
and vehicle plates are left out: they may name people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from trace.lookup.i18n import Translator
from trace.models import Event, Organization
from trace.schemas.common import UNITS
from trace.schemas.stage_extra import NamedTemplates, extra_definitions
from trace.schemas.templates import FIELD_UNITS
from trace.services.compliance_rules import decimal, fmt

Detail = dict[str, str]
Names = dict[int, Organization]


def org_name(org: Organization | None, t: Translator) -> str:
    """Return an organization's name in the page language (English when it has one)."""
    if org is None:
        return "—"
    return (org.name_en or org.name) if t.lang == "en" else org.name


def amount(value: Any, uom: str | None, t: Translator) -> str | None:
    """Return a quantity with its unit's name, e.g. ``100 千克`` or ``100 kilogram``."""
    number = decimal(value)
    if number is None:
        return None
    names = UNITS.get(uom or "")
    unit = (names[0] if t.lang == "zh" else names[1]) if names else (uom or "")
    return f"{fmt(number)} {unit}".strip()


def celsius_values(readings: Any) -> list[Decimal]:
    """Return the temperatures (°C) in a stage's ``temperatures`` list, skipping unreadable ones."""
    if not isinstance(readings, list):
        return []
    values = [decimal(r.get("celsius")) for r in readings if isinstance(r, dict)]
    return [v for v in values if v is not None]


def _temperature_span(readings: Any) -> str | None:
    values = celsius_values(readings)
    if not values:
        return None
    low, high = fmt(min(values)), fmt(max(values))
    return f"{low} °C" if low == high else f"{low}～{high} °C"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    return str(value)


def _planting(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    area = decimal(data.get("area"))
    unit = t.get(f"area_{data.get('areaUnit')}", "") if data.get("areaUnit") else ""
    return [("plot", data.get("plot")), ("variety", data.get("variety")),
            ("area", f"{fmt(area)} {unit}".strip() if area is not None else None), ("method", data.get("method"))]


def _input(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    dose = decimal(data.get("dose"))
    days = data.get("preHarvestIntervalDays")
    kind = data.get("inputType")
    return [("input_type", t.get(f"type_{kind}", str(kind)) if kind else None),
            ("input_product", data.get("product")),
            ("dose", f"{fmt(dose)} {data.get('doseUnit') or ''}".strip() if dose is not None else None),
            ("registration_number", data.get("registrationNumber")),
            ("pre_harvest_interval", t("days", n=days) if isinstance(days, int) else None),
            ("target", data.get("target"))]


def _quantity(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    return [("quantity", amount(data.get("quantity"), data.get("uom"), t)), ("method", data.get("method"))]


def _transformation(data: dict[str, Any], t: Translator, _: Names, event: Event) -> Iterable[tuple[str, Any]]:
    def lines(role: str) -> str | None:
        found = [f"{eb.batch.trace_code} {amount(eb.quantity, eb.uom, t) or ''}".strip()
                 for eb in event.batches if eb.role == role]
        return ("，" if t.lang == "zh" else ", ").join(found) or None

    grades = data.get("grades")
    grade_text = ", ".join(f"{g.get('grade')} {amount(g.get('quantity'), g.get('uom'), t) or ''}".strip()
                           for g in grades if isinstance(g, dict)) if isinstance(grades, list) else None
    return [("method", data.get("method")), ("facility", data.get("facility")), ("grades", grade_text),
            ("inputs_used", lines("input")), ("outputs_made", lines("output"))]


def _inspection(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    result = data.get("result")
    return [("result", t.get(str(result), str(result)) if result else None), ("lab", data.get("lab")),
            ("report", data.get("reportNumber"))]


def _packing(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    return [("package_type", data.get("packageType")), ("units", data.get("units")),
            ("net_weight", amount(data.get("netWeight"), data.get("uom"), t))]


def _storage(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    return [("warehouse", data.get("warehouse")), ("temperatures", _temperature_span(data.get("temperatures")))]


def _shipping(data: dict[str, Any], t: Translator, names: Names, __: Event) -> Iterable[tuple[str, Any]]:
    recipient = data.get("recipient")
    return [("recipient", org_name(names.get(recipient), t) if isinstance(recipient, int) else None),
            ("quantity", amount(data.get("quantity"), data.get("uom"), t)),
            ("temperatures", _temperature_span(data.get("temperatures")))]


def _receiving(data: dict[str, Any], t: Translator, names: Names, __: Event) -> Iterable[tuple[str, Any]]:
    sender = data.get("from")
    return [("sender", org_name(names.get(sender), t) if isinstance(sender, int) else None),
            ("quantity", amount(data.get("quantity"), data.get("uom"), t))]


def _sale(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    channel = data.get("channel")
    return [("channel", t.get(f"channel_{channel}", str(channel)) if channel else None),
            ("quantity", amount(data.get("quantity"), data.get("uom"), t))]


def _certificate(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    return [("certificate_number", data.get("number")), ("basis", "、".join(basis_texts(data, t)) or None)]


def basis_texts(data: dict[str, Any], t: Translator) -> list[str]:
    """Return the localised bases of a 合格证."""
    basis = data.get("basis")
    return [t.get(f"basis_{b}", str(b)) for b in basis] if isinstance(basis, list) else []


def _recall(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    if data.get("action") == "close":
        return [("note", f"{t('recall_ended')}：{data.get('note')}" if t.lang == "zh"
                 else f"{t('recall_ended')}: {data.get('note')}")]
    return [("reason", data.get("reason"))]


def _destruction(data: dict[str, Any], t: Translator, _: Names, __: Event) -> Iterable[tuple[str, Any]]:
    return [("method", data.get("method")), ("quantity", amount(data.get("quantity"), data.get("uom"), t))]


_STAGES: dict[str, Callable[[dict[str, Any], Translator, Names, Event], Iterable[tuple[str, Any]]]] = {
    "planting": _planting, "input": _input, "harvest": _quantity, "processing": _transformation,
    "sorting": _transformation, "inspection": _inspection, "packing": _packing, "storage": _storage,
    "shipping": _shipping, "receiving": _receiving, "sale": _sale, "certificate": _certificate,
    "recall": _recall, "destruction": _destruction,
}


def event_details(event: Event, t: Translator, names: Names, templates: NamedTemplates | None = None) -> list[Detail]:
    """Return an event's key data as ``[{"label", "value"}]`` in the page language.

    ``templates``: the template versions records name, for their extra fields' labels.
    """
    handler = _STAGES.get(event.stage)
    data = event.data if isinstance(event.data, dict) else {}
    if handler is None:
        return []
    return [{"label": t(key), "value": text} for key, value in handler(data, t, names, event)
            if (text := _text(value)) is not None] + extra_details(event.stage, data, t, templates or {})


def extra_details(stage: str, data: dict[str, Any], t: Translator, templates: NamedTemplates) -> list[Detail]:
    """Return the values of a record's extra fields, labelled as the template version it names labels them."""
    values = data.get("extra")
    if not isinstance(values, dict):
        return []
    zh = t.lang == "zh"
    found = []
    for definition in extra_definitions(stage, data, templates):
        value = values.get(definition["name"])
        if value is None:
            continue
        if definition["type"] == "boolean":
            text = t("yes") if value is True else t("no")
        elif definition["type"] == "enum":
            option = next((o for o in definition["options"] if o["value"] == value), None)
            text = (option["labelZh"] if zh else option["labelEn"]) if option else str(value)
        elif definition["type"] == "number" and definition.get("unit"):
            unit = FIELD_UNITS.get(definition["unit"])
            text = f"{value} {(unit[0] if zh else unit[1]) if unit else definition['unit']}"
        else:
            text = str(value)
        found.append({"label": definition["labelZh"] if zh else definition["labelEn"], "value": text})
    return found
