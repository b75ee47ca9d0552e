"""Consumer feedback: the public form's fields, the listing query and output."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from trace.schemas.common import OffsetDateTime, PageQuery, Text, TraceCode, UTCDateTimeOut, bounded

KINDS = ("complaint", "rating")


class FeedbackForm(Schema):
    """The lookup page's form (application/x-www-form-urlencoded); shape only."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    rating = bounded(1, 5, allow_none=True)
    text = Text(1000, min_len=0, multiline=True, load_default="")
    contact = Text(100, min_len=0, load_default="")

    @pre_load
    def _blank_is_absent(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip() and k == "rating")}

    @validates_schema
    def _complete(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("kind") == "rating" and data.get("rating") is None:
            raise ValidationError({"rating": ["Choose 1 to 5 stars."]})
        if data.get("kind") == "complaint" and not data.get("text", "").strip():
            raise ValidationError({"text": ["Say what is wrong."]})


class FeedbackQuery(PageQuery):
    batch = TraceCode()
    kind = fields.String(validate=validate.OneOf(KINDS))
    created_from = OffsetDateTime(data_key="from")
    created_to = OffsetDateTime(data_key="to")


class FeedbackOut(Schema):
    id = fields.Integer()
    batch = fields.Function(lambda f: f.batch.trace_code)
    product = fields.Function(lambda f: f.batch.product.name)
    organization_id = fields.Integer(data_key="organization")
    serial = fields.Function(lambda f: f.unit.serial if f.unit else None)
    kind = fields.String()
    rating = fields.Integer(allow_none=True)
    text = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    lang = fields.String()
    created_at = UTCDateTimeOut(data_key="createdAt")
