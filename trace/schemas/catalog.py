"""Categories and products."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from trace.codes.gtin import GtinError, normalize_gtin
from trace.schemas.common import RowId, Text, UTCDateTimeOut
from trace.schemas.templates import TemplateStep, unique_stages


class TemperatureRange(Schema):
    min = fields.Decimal(required=True, as_string=True, allow_nan=False)
    max = fields.Decimal(required=True, as_string=True, allow_nan=False)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["min"] > data["max"]:
            raise ValidationError({"min": ["min must not exceed max."]})


class CategoryIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,31}\Z"))
    name_zh = Text(64, data_key="nameZh", required=True)
    name_en = Text(64, data_key="nameEn", required=True)
    template = fields.List(fields.Nested(TemplateStep), required=True, validate=validate.Length(min=1, max=30))
    temperature_range = fields.Nested(TemperatureRange, data_key="temperatureRange", allow_none=True)

    @validates("template")
    def _unique_stages(self, value: list[dict[str, Any]], **_: Any) -> None:
        unique_stages(value)


class CategoryOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String(data_key="nameZh")
    name_en = fields.String(data_key="nameEn")
    template = fields.Raw()
    template_version = fields.Integer(data_key="templateVersion")
    temperature_range = fields.Raw(allow_none=True, data_key="temperatureRange")


class Certification(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["green_food", "organic", "geographical_indication", "gap", "pollution_free", "other"]),
    )
    number = Text(64, min_len=0)
    issuer = Text(200, min_len=0)
    valid_until = fields.Date(data_key="validUntil")


class GtinField(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            return normalize_gtin(super()._deserialize(value, attr, data, **kwargs))
        except GtinError as exc:
            raise ValidationError(str(exc)) from exc


class ProductIn(Schema):
    category = fields.String(required=True)
    name = Text(200, required=True)
    name_en = Text(200, min_len=0, data_key="nameEn", allow_none=True)
    gtin = GtinField(allow_none=True)
    regional_brand = Text(100, min_len=0, data_key="regionalBrand", allow_none=True)
    brand = Text(100, min_len=0, allow_none=True)
    certifications = fields.List(fields.Nested(Certification), load_default=list)
    photo = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                          metadata={"description": "SHA-256 of an image uploaded with POST /attachments"})


class ProductQuery(Schema):
    organization = RowId(strict=False)


class ProductOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer(data_key="organization")
    category = fields.Function(lambda p: p.category.code)
    name = fields.String()
    name_en = fields.String(allow_none=True, data_key="nameEn")
    gtin = fields.String(allow_none=True)
    regional_brand = fields.String(allow_none=True, data_key="regionalBrand")
    brand = fields.String(allow_none=True)
    certifications = fields.Raw()
    photo = fields.String(allow_none=True)
    created_at = UTCDateTimeOut(data_key="createdAt")


class ProductChange(Schema):
    """The master data a producer may change; each change is a new signed product record."""

    name = Text(200)
    name_en = Text(200, min_len=0, data_key="nameEn", allow_none=True)
    regional_brand = Text(100, min_len=0, data_key="regionalBrand", allow_none=True)
    brand = Text(100, min_len=0, allow_none=True)
    certifications = fields.List(fields.Nested(Certification))
    photo = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                          metadata={"description": "SHA-256 of an image uploaded with POST /attachments"})
