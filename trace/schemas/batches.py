"""Batches: registration, listing filters and output."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from trace.schemas.common import (
    BatchQuantity,
    Measurement,
    OffsetDateTime,
    PageQuery,
    PastDateTime,
    Quantity,
    RowId,
    Text,
    Unit,
    UTCDateTimeOut,
)


class OriginPlot(Schema):
    name = Text(200, required=True)
    latitude = Measurement(validate=validate.Range(min=Decimal(-90), max=Decimal(90)))
    longitude = Measurement(validate=validate.Range(min=Decimal(-180), max=Decimal(180)))
    area = Quantity()
    area_unit = fields.String(data_key="areaUnit", validate=validate.OneOf(["MU", "HAR", "MTK"]))


class BatchIn(Schema):
    product = RowId(required=True)
    lot = fields.String(
        required=True, validate=validate.Regexp(r"^[!-~]{1,20}\Z", error="A lot is 1–20 printable ASCII characters.")
    )
    quantity = BatchQuantity(required=True)
    uom = Unit(required=True)
    origin = fields.Nested(OriginPlot, allow_none=True)
    produced_at = PastDateTime(data_key="producedAt", allow_none=True)


class BatchQuery(PageQuery):
    organization = RowId(strict=False)
    category = fields.String()
    created_from = OffsetDateTime(data_key="from")
    created_to = OffsetDateTime(data_key="to")
    status = fields.String(validate=validate.OneOf(["active", "consumed", "recalled", "destroyed"]))


class BatchOut(Schema):
    trace_code = fields.String(data_key="code")
    product_id = fields.Integer(data_key="product")
    product_name = fields.Function(lambda b: b.product.name, data_key="productName")
    category = fields.Function(lambda b: b.product.category.code)
    organization_id = fields.Integer(data_key="organization")
    custodian_id = fields.Integer(data_key="custodian")
    lot = fields.String()
    quantity = Quantity()
    available = Quantity()
    uom = fields.String()
    origin = fields.Raw(allow_none=True)
    produced_at = UTCDateTimeOut(allow_none=True, data_key="producedAt")
    status = fields.String()
    disposition = fields.String()
    created_at = UTCDateTimeOut(data_key="createdAt")

