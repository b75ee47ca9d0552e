"""Category templates: the stages a category expects, their required fields, and extra field definitions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from trace.ledger.numbers import GrammarError, parse_decimal
from trace.schemas.common import MAX_ROW_ID, UNITS, Text, UTCDateTimeOut, bounded
from trace.schemas.stage_extra import BUILT_IN_KEYS, FIELD_NAME, canonical_decimal
from trace.stages import STAGES, OneOfStages, transformation_stages

FIELD_TYPES = ("string", "number", "enum", "date", "boolean")
# UN/ECE Recommendation 20 codes a number field may be measured in: the quantity units and a few more.
FIELD_UNITS: dict[str, tuple[str, str]] = {
    **UNITS,
    "P1": ("%", "percent"),
    "CEL": ("摄氏度", "degree Celsius"),
    "DAY": ("天", "day"),
    "HUR": ("小时", "hour"),
    "CMT": ("厘米", "centimetre"),
    "MTR": ("米", "metre"),
    "MTK": ("平方米", "square metre"),
    "MU": ("亩", "mu"),
    "HAR": ("公顷", "hectare"),
}
OWNER = {"unit": "number", "min": "number", "max": "number", "options": "enum", "max_length": "string"}
MAX_NUMBER = Decimal("1e15")  # the record grammar: at most 15 digits before the point


def _label(max_len: int = 64, **kw: Any) -> fields.String:
    return Text(max_len, **kw)


class Bound(fields.Decimal):
    """A number field's min or max in the records' number grammar, kept as a canonical decimal string."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(allow_nan=False, validate=validate.Range(
            min=-MAX_NUMBER, max=MAX_NUMBER, min_inclusive=False, max_inclusive=False), **kw)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Decimal:
        try:
            return parse_decimal(value)  # not Decimal(): it takes "1_000" and " 5"
        except GrammarError as exc:
            raise ValidationError(str(exc)) from exc

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> str | None:
        return None if value is None else canonical_decimal(Decimal(value))


class EnumOption(Schema):
    value = Text(64, required=True)
    label_zh = _label(data_key="labelZh", required=True)
    label_en = _label(data_key="labelEn", required=True)


class FieldDefinition(Schema):
    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME))
    label_zh = _label(data_key="labelZh", required=True)
    label_en = _label(data_key="labelEn", required=True)
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    unit = fields.String(validate=validate.OneOf(sorted(FIELD_UNITS)))
    options = fields.List(fields.Nested(EnumOption), validate=validate.Length(min=1, max=100))
    min = Bound()
    max = Bound()
    max_length = fields.Integer(data_key="maxLength", strict=True, validate=validate.Range(min=1, max=2000))

    @validates_schema
    def _fits_type(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type")
        errors: dict[str, list[str]] = {}
        for key, owner in OWNER.items():
            if key in data and owner != kind:
                errors["maxLength" if key == "max_length" else key] = [f"Only for {owner} fields."]
        if kind == "enum":
            values = [o["value"] for o in data.get("options") or []]
            if not values:
                errors["options"] = ["An enum field needs options."]
            elif len(values) != len(set(values)):
                errors["options"] = ["Option values must differ."]
        if "min" in data and "max" in data and data["min"] > data["max"]:
            errors["min"] = ["min must not exceed max."]
        if errors:
            raise ValidationError(errors)


def _built_in_fields(stage: str) -> set[str]:
    return {f.data_key or name for name, f in STAGES[stage].schema().fields.items()}  # without extra/templates


class TemplateStep(Schema):
    stage = fields.String(required=True, validate=OneOfStages())
    requires = fields.List(Text(64), load_default=list)
    extra_fields = fields.List(fields.Nested(FieldDefinition), data_key="fields", load_default=list,
                               validate=validate.Length(max=50))

    @validates_schema
    def _known_fields(self, data: dict[str, Any], **_: Any) -> None:
        stage = data["stage"]
        built_in = _built_in_fields(stage)
        errors: dict[str, Any] = {}
        if stage not in transformation_stages():
            unknown = sorted(set(data["requires"]) - built_in)
            if unknown:
                errors["requires"] = [f"Stage {stage} has no field {', '.join(unknown)}."]
        names = [f["name"] for f in data.get("extra_fields", [])]
        problems = {}
        for i, name in enumerate(names):
            if name in built_in or name in BUILT_IN_KEYS:
                problems[i] = {"name": [f"Stage {stage} already has a field {name}."]}
            elif names.index(name) != i:
                problems[i] = {"name": [f"Field {name} is defined twice."]}
        if problems:
            errors["fields"] = problems
        if errors:
            raise ValidationError(errors)


def unique_stages(value: list[dict[str, Any]]) -> None:
    """Refuse a template that names a stage twice."""
    stages = [step["stage"] for step in value if "stage" in step]  # steps with errors lack it
    if len(stages) != len(set(stages)):
        raise ValidationError("Each stage appears once in a template.")


class TemplateIn(Schema):
    stages = fields.List(fields.Nested(TemplateStep), required=True, validate=validate.Length(min=1, max=30))

    @validates("stages")
    def _unique_stages(self, value: list[dict[str, Any]], **_: Any) -> None:
        unique_stages(value)


class TemplateQuery(Schema):
    version = bounded(1, MAX_ROW_ID)


class TemplateOut(Schema):
    category = fields.Function(lambda t: t.category.code)
    version = fields.Integer()
    current = fields.Function(lambda t: t.version == t.category.template_version)
    stages = fields.Raw()
    created_at = UTCDateTimeOut(data_key="createdAt")
    created_by = fields.Integer(data_key="createdBy", allow_none=True)


class TemplateVersionOut(Schema):
    version = fields.Integer()
    current = fields.Function(lambda t: t.version == t.category.template_version)
    created_at = UTCDateTimeOut(data_key="createdAt")
    created_by = fields.Integer(data_key="createdBy", allow_none=True)


def stored_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return loaded template steps in their stored (and API) form."""
    return TemplateStep(many=True).dump(steps)
