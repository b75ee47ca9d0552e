"""Certification (认证登记): an organization declares a certificate it holds (绿色食品, 有机产品, 地理标志, ...).

Made by ``/api/v1/certifications``; not a stage of a batch. Until an inspector or administrator
verifies it (stage ``certification_check``), pages show it as declared by the producer, not verified.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import RowId
from trace.stages.base import Label, Stage
from trace.stages.fields import text

# The kinds of certification, by the key records and the API use.
KINDS: dict[str, Label] = {
    "green_food": _l("Green Food"),
    "organic": _l("Organic product"),
    "geographical_indication": _l("Geographical indication of agricultural products"),
    "qualified": _l("Certified compliant produce"),
    "pollution_free": _l("Pollution-free agricultural product"),
    "gap": _l("Good Agricultural Practice (GAP)"),
    "other": _l("Other certification"),
}


class Scan(Schema):
    """The certificate's scan, an uploaded attachment named by its hash."""

    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}\Z"))
    name = text(200, required=True)
    mime = fields.String(required=True)
    size = fields.Integer(required=True)


class CertificationData(Schema):
    certification = RowId(required=True)
    organization = RowId(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    issuer = text(200, required=True)
    number = text(64, required=True)
    products = fields.List(RowId(), required=True)
    valid_from = fields.Date(data_key="validFrom", required=True)
    valid_until = fields.Date(data_key="validUntil", required=True)
    scan = fields.Nested(Scan)


class CertificationRecord(Stage):
    name = "certification"
    position = 160
    label = _l("Certification")
    biz_step = "trace:certification"
    schema = CertificationData
    service_only = True
    recorded_through = "/api/v1/certifications"
    labels = {"certification": _l("Certification"), "organization": _l("Holder"), "kind": _l("Kind"),
              "issuer": _l("Issuer"), "number": _l("Certificate no."), "products": _l("Products"),
              "validFrom": _l("Valid from"), "validUntil": _l("Valid until"), "scan": _l("Certificate scan")}
    values = {"kind": KINDS}
