"""Brand revocation (撤销品牌授权): the brand owner withdraws a grant; every page of the licensee's products shows it.

Made by ``/api/v1/brands/<id>/grants/<id>/revocation`` and signed by the owner.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from trace.schemas.common import RowId
from trace.stages.base import Stage
from trace.stages.fields import text


class BrandRevocationData(Schema):
    grant = RowId(required=True)
    brand = RowId(required=True)
    organization = RowId(required=True)
    reason = text(1000, required=True)


class BrandRevocation(Stage):
    name = "brand_revocation"
    position = 172
    label = _l("Brand grant revoked")
    biz_step = "trace:brand_revocation"
    schema = BrandRevocationData
    service_only = True
    recorded_through = "/api/v1/brands/<id>/grants/<id>/revocation"
    labels = {"grant": _l("Grant"), "brand": _l("Regional brand"), "organization": _l("Licensee"),
              "reason": _l("Reason")}
