"""Regional public brand (区域公用品牌登记): a brand, its owner and its rules.

Made by ``/api/v1/brands`` and signed by the organization that registers it; not a stage of a batch.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from trace.schemas.common import RowId
from trace.stages.base import Stage
from trace.stages.fields import text


class Region(Schema):
    province = text(64, required=True)
    county = text(64)


class BrandData(Schema):
    brand = RowId(required=True)
    code = fields.String(required=True)
    name = text(100, required=True)
    name_en = text(100, data_key="nameEn", allow_none=True)
    owner = RowId(required=True)
    categories = fields.List(fields.String(), required=True)
    region = fields.Nested(Region, required=True)
    required_certifications = fields.List(fields.String(), data_key="requiredCertifications", required=True)
    requires_test = fields.Boolean(data_key="requiresTest", required=True)


class BrandRecord(Stage):
    name = "brand"
    position = 170
    label = _l("Regional public brand")
    biz_step = "trace:brand"
    schema = BrandData
    service_only = True
    recorded_through = "/api/v1/brands"
    labels = {"brand": _l("Regional brand"), "code": _l("Code"), "name": _l("Name"), "nameEn": _l("English name"),
              "owner": _l("Owner"), "categories": _l("Categories"), "region": _l("Region"),
              "requiredCertifications": _l("Required certifications"), "requiresTest": _l("Requires a passed test")}
