"""The key data of each stage as the public page lists it: localised labels and values, nothing private.

Each stage module says what it lists (``Stage.details``); this module offers the page's formatting
and renders the stage's labels in the page language. Records hold the stage data as the recorder
sent it (camelCase keys, decimals as strings). Buyers and vehicle plates are left out: they may
name people.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import force_locale, ngettext, pgettext
from flask_babel import gettext as _

from trace.models import Event, Organization
from trace.schemas.stage_extra import NamedTemplates, extra_definitions
from trace.services.compliance.compliance_rules import decimal, fmt
from trace.stages import LOCALES, STAGES
from trace.stages.certificate import bases

Detail = dict[str, str]
Names = dict[int, Organization]


def org_name(org: Organization | None, lang: str) -> str:
    """Return an organization's name in the page language (English when it has one)."""
    if org is None:
        return "—"
    return (org.name_en or org.name) if lang == "en" else org.name


# A quantity with its unit, by UN/CEFACT code: singular and plural forms from the catalogs (zh has one form).
UNIT_AMOUNTS: dict[str, Callable[[int, str], str]] = {
    "KGM": lambda n, num: ngettext("%(amount)s kilogram", "%(amount)s kilograms", n, amount=num),
    "GRM": lambda n, num: ngettext("%(amount)s gram", "%(amount)s grams", n, amount=num),
    "TNE": lambda n, num: ngettext("%(amount)s tonne", "%(amount)s tonnes", n, amount=num),
    "LTR": lambda n, num: ngettext("%(amount)s litre", "%(amount)s litres", n, amount=num),
    "MLT": lambda n, num: ngettext("%(amount)s millilitre", "%(amount)s millilitres", n, amount=num),
    "H87": lambda n, num: ngettext("%(amount)s piece", "%(amount)s pieces", n, amount=num),
    "DZN": lambda n, num: ngettext("%(amount)s dozen", "%(amount)s dozen", n, amount=num),
    "BX": lambda n, num: ngettext("%(amount)s box", "%(amount)s boxes", n, amount=num),
    "BG": lambda n, num: ngettext("%(amount)s bag", "%(amount)s bags", n, amount=num),
    "CT": lambda n, num: ngettext("%(amount)s carton", "%(amount)s cartons", n, amount=num),
    "PK": lambda n, num: ngettext("%(amount)s pack", "%(amount)s packs", n, amount=num),
    "HD": lambda n, num: ngettext("%(amount)s head", "%(amount)s head", n, amount=num),
    # the units of category templates' extra fields (FIELD_UNITS)
    "P1": lambda n, num: ngettext("%(amount)s%%", "%(amount)s%%", n, amount=num),
    "CEL": lambda n, num: ngettext("%(amount)s °C", "%(amount)s °C", n, amount=num),
    "DAY": lambda n, num: ngettext("%(amount)s day", "%(amount)s days", n, amount=num),
    "HUR": lambda n, num: ngettext("%(amount)s hour", "%(amount)s hours", n, amount=num),
    "CMT": lambda n, num: ngettext("%(amount)s cm", "%(amount)s cm", n, amount=num),
    "MTR": lambda n, num: ngettext("%(amount)s m", "%(amount)s m", n, amount=num),
    "MTK": lambda n, num: ngettext("%(amount)s m²", "%(amount)s m²", n, amount=num),
    "MU": lambda n, num: ngettext("%(amount)s mu", "%(amount)s mu", n, amount=num),
    "HAR": lambda n, num: ngettext("%(amount)s ha", "%(amount)s ha", n, amount=num),
}


def amount(value: Any, uom: str | None, lang: str) -> str | None:
    """Return a quantity with its unit's name in the page language, e.g. ``100 千克`` or ``100 kilograms``."""
    number = decimal(value)
    if number is None:
        return None
    text = fmt(number)
    spell = UNIT_AMOUNTS.get(uom or "")
    if spell is None:
        return f"{text} {uom or ''}".strip()
    with force_locale(LOCALES[lang]):
        return spell(1 if number == 1 else 2, text)


def joined(items: list[str], lang: str) -> str | None:
    """Return items as one list in the page language (``、`` in Chinese, ``, `` in English), None if empty."""
    if not items:
        return None
    with force_locale(LOCALES[lang]):
        return pgettext("list separator", ", ").join(items)


def celsius_values(readings: Any) -> list[Decimal]:
    """Return the temperatures (°C) in a stage's ``temperatures`` list, skipping unreadable ones."""
    if not isinstance(readings, list):
        return []
    values = [decimal(r.get("celsius")) for r in readings if isinstance(r, dict)]
    return [v for v in values if v is not None]


def _temperature_span(readings: Any, lang: str) -> str | None:
    values = celsius_values(readings)
    if not values:
        return None
    low, high = fmt(min(values)), fmt(max(values))
    return f"{low} °C" if low == high else f"{low}{'～' if lang == 'zh' else '–'}{high} °C"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    return str(value)  # a lazily translated label renders in the locale forced around it


class _View:
    """The page's formatting, offered to a stage's ``details`` hook (``trace.stages.PageView``)."""

    def __init__(self, lang: str, names: Names, event: Event) -> None:
        self.names, self.event, self.lang = names, event, lang

    def amount(self, value: Any, uom: str | None) -> str | None:
        return amount(value, uom, self.lang)

    def organization(self, org_id: Any) -> str | None:
        return org_name(self.names.get(org_id), self.lang) if isinstance(org_id, int) else None

    def temperatures(self, readings: Any) -> str | None:
        return _temperature_span(readings, self.lang)

    def lines(self, role: str) -> str | None:
        found = [f"{eb.batch.trace_code} {amount(eb.quantity, eb.uom, self.lang) or ''}".strip()
                 for eb in self.event.batches if eb.role == role]
        return joined(found, self.lang)

    def days(self, n: int) -> str:
        return ngettext("%(num)s day", "%(num)s days", n)

    def join(self, items: list[str]) -> str | None:
        return joined(items, self.lang)


def basis_texts(data: dict[str, Any], lang: str) -> list[str]:
    """Return the localised bases of a 合格证."""
    with force_locale(LOCALES[lang]):
        return [str(label) for label in bases(data)]


def stage_name(name: str, lang: str) -> str:
    """Return a stage's name in the page language (the bare name for a stage no longer defined)."""
    found = STAGES.get(name)
    return found.title(lang) if found else name


def event_details(event: Event, lang: str, names: Names, data: dict[str, Any] | None = None,
                  templates: NamedTemplates | None = None) -> list[Detail]:
    """Return an event's key data as ``[{"label", "value"}]`` in the page language.

    ``data``: as corrected; ``templates``: the template versions records name, for their extra fields' labels.
    """
    stage = STAGES.get(event.stage)
    if stage is None:
        return []
    if data is None:
        data = event.data if isinstance(event.data, dict) else {}
    with force_locale(LOCALES[lang]):
        shown = [{"label": str(label), "value": text}
                 for label, value in stage.details(data, _View(lang, names, event))
                 if (text := _text(value)) is not None]
    return shown + extra_details(event.stage, data, lang, templates or {})


def extra_details(stage: str, data: dict[str, Any], lang: str, templates: NamedTemplates) -> list[Detail]:
    """Return the values of a record's extra fields, labelled as the template version it names labels them."""
    values = data.get("extra")
    if not isinstance(values, dict):
        return []
    zh = lang == "zh"
    found = []
    for definition in extra_definitions(stage, data, templates):
        value = values.get(definition["name"])
        if value is None:
            continue
        if definition["type"] == "boolean":
            text = _("Yes") if value is True else _("No")
        elif definition["type"] == "enum":
            option = next((o for o in definition["options"] if o["value"] == value), None)
            text = (option["labelZh"] if zh else option["labelEn"]) if option else str(value)
        elif definition["type"] == "number" and definition.get("unit"):
            text = amount(value, definition["unit"], lang) or str(value)
        else:
            text = str(value)
        found.append({"label": definition["labelZh"] if zh else definition["labelEn"], "value": text})
    return found
