"""Forms generated from a stage's schema and its category template: the fields a clerk fills, and back.

``form_fields`` reads the stage's marshmallow schema (the one the recording pipeline loads with)
and the extra fields of the category template's current version, and returns what the form shows:
only fields a person types or picks (text, numbers, units, enumerations, dates and times, yes/no,
the other organization of a shipping or receiving). Nested data (temperature series, result
items) is not typed into a generic form: loggers, scanners and the laboratory pages send it.

``payload_from`` turns the posted form into the body ``POST /api/v1/events`` takes, so the form
records through the same pipeline as the API; ``place_errors`` puts the pipeline's refusals
beside the fields they name, in the page's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from trace.schemas.common import UNITS, Measurement, OffsetDateTime, RowId, Unit
from trace.schemas.stage_extra import BUILT_IN_KEYS
from trace.stages import Stage
from trace.times import CHINA

# Form keys: the stage's own fields are ``data.<key>``, the template's ``extra.<name>``.
DATA, EXTRA = "data.", "extra."
TIME_FIELD = "occurredAt"


@dataclass(frozen=True)
class FieldSpec:
    """One input of a generated form."""

    key: str  # the form's input name
    label: str
    # text, textarea, lines (a list, one per line), number, unit, choice, date, datetime, boolean, organization
    kind: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    unit: str | None = None  # a template number's unit
    low: str | None = None
    high: str | None = None
    max_length: int | None = None
    errors: list[str] = field(default_factory=list)


def unit_choices(lang: str) -> tuple[tuple[str, str], ...]:
    """Return the units a form offers, named in the page's language."""
    return tuple((code, names[0] if lang == "zh" else names[1]) for code, names in UNITS.items())


def form_fields(stage: Stage, template_fields: list[dict[str, Any]], organizations: list[tuple[int, str]],
                lang: str) -> list[FieldSpec]:
    """Return the inputs of a stage's form: its schema's simple fields, then the template's extra fields.

    ``organizations`` are the choices of the stage's other party (``party_field``): the recipient
    of a shipping, the laboratory of a test request.
    """
    specs: list[FieldSpec] = []
    for key, declared in stage.schema._declared_fields.items():
        if key in BUILT_IN_KEYS or key in stage.service_fields or declared.dump_only:
            continue
        name = declared.data_key or key
        spec = _spec(stage, name, declared, organizations, lang)
        if spec is not None:
            specs.append(spec)
    specs.extend(_extra_spec(definition, lang) for definition in template_fields)
    return specs


def _label(stage: Stage, name: str) -> str:
    label = stage.labels.get(name)
    return str(label) if label is not None else name


def _spec(stage: Stage, name: str, declared: fields.Field, organizations: list[tuple[int, str]],
          lang: str) -> FieldSpec | None:
    key, label, required = DATA + name, _label(stage, name), bool(declared.required)
    if name == stage.party_field and isinstance(declared, fields.Integer):
        return FieldSpec(key, label, "organization", required, tuple((str(i), n) for i, n in organizations))
    if isinstance(declared, Unit):
        return FieldSpec(key, label, "unit", required, unit_choices(lang))
    if isinstance(declared, Measurement):
        return FieldSpec(key, label, "number", required)
    if isinstance(declared, OffsetDateTime):
        return FieldSpec(key, label, "datetime", required)
    if isinstance(declared, fields.Date):
        return FieldSpec(key, label, "date", required)
    if isinstance(declared, fields.Boolean):
        return FieldSpec(key, label, "boolean", required)
    if isinstance(declared, RowId):
        return None  # a row of another register: its own page picks it
    if isinstance(declared, fields.List) and isinstance(declared.inner, fields.String):
        return FieldSpec(key, label, "lines", required)  # one per line
    if isinstance(declared, fields.String):
        options = _one_of(declared)
        if options is not None:
            names = stage.values.get(name, {})
            return FieldSpec(key, label, "choice", required,
                             tuple((str(v), str(names.get(str(v), v))) for v in options))
        limit = getattr(declared, "max_len", None)
        kind = "textarea" if getattr(declared, "multiline", False) or (limit or 0) > 200 else "text"
        return FieldSpec(key, label, kind, required, max_length=limit)
    return None  # nested data and lists: not typed into a generic form


def _one_of(declared: fields.Field) -> list[Any] | None:
    for check in declared.validators:
        if isinstance(check, validate.OneOf):
            return list(check.choices)
    return None


def _extra_spec(definition: Mapping[str, Any], lang: str) -> FieldSpec:
    label = _bilingual(definition, lang) or definition["name"]
    key, required, kind = EXTRA + definition["name"], bool(definition.get("required")), definition["type"]
    if kind == "enum":
        choices = tuple((o["value"], _bilingual(o, lang) or o["value"]) for o in definition["options"])
        return FieldSpec(key, label, "choice", required, choices)
    if kind == "number":
        low, high = definition.get("min"), definition.get("max")
        return FieldSpec(key, label, "number", required, unit=definition.get("unit"),
                         low=None if low is None else str(low), high=None if high is None else str(high))
    if kind in ("date", "boolean"):
        return FieldSpec(key, label, kind, required)
    return FieldSpec(key, label, "text", required, max_length=definition.get("maxLength"))


def _bilingual(definition: Mapping[str, Any], lang: str) -> str | None:
    """Return a template label (``labelZh``/``labelEn``) in the page's language, else the other one."""
    first, second = ("labelEn", "labelZh") if lang == "en" else ("labelZh", "labelEn")
    return definition.get(first) or definition.get(second)


def payload_from(form: Mapping[str, str], specs: list[FieldSpec]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the stage data and template extra values a posted form holds (empty inputs left out)."""
    data: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for spec in specs:
        raw = form.get(spec.key, "")
        if spec.kind == "boolean":
            value: Any = raw == "on"
            if not value and not spec.required:
                continue
        elif raw.strip() == "":
            continue
        elif spec.kind == "organization":
            value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else raw
        elif spec.kind == "datetime":
            value = local_time(raw) or raw
        elif spec.kind == "lines":
            value = [line.strip() for line in raw.splitlines() if line.strip()]
        else:
            value = raw
        target, name = (extra, spec.key[len(EXTRA):]) if spec.key.startswith(EXTRA) else (data, spec.key[len(DATA):])
        target[name] = value
    if extra:
        data["extra"] = extra
    return data, extra


def local_time(raw: str) -> str | None:
    """Return a browser's ``datetime-local`` value (China time) as RFC 3339, or None if it is not one."""
    try:
        moment = dt.datetime.strptime(raw.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return moment.replace(tzinfo=CHINA).isoformat()


# What the schemas' English refusals say beside a field, in the page's language.
MESSAGES: Mapping[str, LazyString] = {
    "Missing data for required field.": _l("This field is required."),
    "Required by the category template.": _l("This field is required."),
    "Not a valid number.": _l("Enter a number, e.g. 12.5."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid boolean (true or false).": _l("Tick the box or leave it."),
    "Not a valid date (YYYY-MM-DD).": _l("Enter a date."),
    "Time is in the future.": _l("This time is in the future."),
    "Must be greater than 0.": _l("Enter a number above zero."),
    "Field may not be null.": _l("This field is required."),
    "Not a valid datetime.": _l("Enter a date and time."),
}


def say(message: str) -> str:
    """Return a schema's refusal in the page's language (as it came when it has no translation)."""
    found = MESSAGES.get(message)
    if found is not None:
        return str(found)
    if message.startswith("Must be one of"):
        return str(_l("Pick one of the choices."))
    if message.startswith(("Must be greater", "Must be less", "Must be between")):
        return str(_l("Out of range: %(detail)s", detail=message))
    if message.startswith("Length must be") or message.startswith("Longer than"):
        return str(_l("Too long or too short: %(detail)s", detail=message))
    return message


def place_errors(errors: Any, specs: list[FieldSpec]) -> list[str]:
    """Put a refusal's field errors on the specs they name; return the messages that name no field."""
    by_key = {spec.key: spec for spec in specs}
    rest: list[str] = []
    for path, message in _flatten(errors, ()):
        key = _key_for(path)
        spec = by_key.get(key) if key else None
        if spec is not None:
            spec.errors.append(say(message))
        else:
            rest.append(say(message) if not path else f"{'.'.join(map(str, path))}: {say(message)}")
    return rest


def _key_for(path: tuple[Any, ...]) -> str | None:
    if len(path) >= 3 and path[0] == "data" and path[1] == "extra":
        return EXTRA + str(path[2])
    if len(path) >= 2 and path[0] == "data":
        return DATA + str(path[1])
    if path and path[0] == TIME_FIELD:
        return TIME_FIELD
    return None


def _flatten(errors: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(errors, Mapping):
        return [pair for key, value in errors.items() for pair in _flatten(value, (*path, key))]
    if isinstance(errors, list | tuple):
        return [pair for item in errors for pair in _flatten(item, path)]
    return [(path, str(errors))]
