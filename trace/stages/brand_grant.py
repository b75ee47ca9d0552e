"""Brand grant (品牌授权): the brand owner lets an organization use its brand on some categories for a period.

Made by ``/api/v1/brands/<id>/grants`` and signed by the owner; products claim the brand only
under a grant that is valid and not revoked.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from trace.schemas.common import RowId
from trace.stages.base import Stage


class BrandGrantData(Schema):
    grant = RowId(required=True)
    brand = RowId(required=True)
    organization = RowId(required=True)
    categories = fields.List(fields.String(), required=True)
    valid_from = fields.Date(data_key="validFrom", required=True)
    valid_until = fields.Date(data_key="validUntil", required=True)


class BrandGrantRecord(Stage):
    name = "brand_grant"
    position = 171
    label = _l("Brand grant")
    biz_step = "trace:brand_grant"
    schema = BrandGrantData
    service_only = True
    recorded_through = "/api/v1/brands/<id>/grants"
    labels = {"grant": _l("Grant"), "brand": _l("Regional brand"), "organization": _l("Licensee"),
              "categories": _l("Categories"), "validFrom": _l("Valid from"), "validUntil": _l("Valid until")}
