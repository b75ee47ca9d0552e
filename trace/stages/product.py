"""Product information (产品信息): a product's master data as pages show it, signed.

Written by the server when a product is registered and each time its master data changes (the
row names its latest record); the audit and the page's verdict hold the product row equal to it.
Not a stage of a batch: it touches no batch.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import RowId
from trace.stages.base import Stage
from trace.stages.fields import text


class ProductData(Schema):
    product = RowId(required=True)
    category = text(32, required=True)
    name = text(required=True)
    name_en = text(data_key="nameEn", allow_none=True)
    gtin = fields.String(allow_none=True)
    brand = text(100, allow_none=True)
    regional_brand = text(100, data_key="regionalBrand", allow_none=True)
    certifications = fields.List(fields.Dict())
    photo = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))  # an image attachment
    backfilled = fields.Boolean()


class ProductRecord(Stage):
    name = "product"
    position = 3
    label = _l("Product information")
    biz_step = "trace:product"
    schema = ProductData
    service_only = True
    recorded_through = "/api/v1/products"
    labels = {"product": _l("Product"), "category": _l("Category"), "name": _l("Name"), "nameEn": _l("English name"),
              "gtin": _l("GTIN"), "brand": _l("Brand"), "regionalBrand": _l("Regional brand"),
              "certifications": _l("Certifications"), "photo": _l("Photo"), "backfilled": _l("Back-filled")}
