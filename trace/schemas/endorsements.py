"""Certifications and regional public brands: what the API takes and gives."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.schemas.common import RowId, Text, UTCDateTimeOut
from trace.stages.certification import KINDS
from trace.stages.certification_check import RESULTS

CATEGORY_CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,31}\Z")


class CertificationIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    issuer = Text(200, required=True)
    number = Text(64, required=True)
    products = fields.List(RowId(), required=True, validate=validate.Length(min=1, max=200))
    valid_from = fields.Date(data_key="validFrom", required=True)
    valid_until = fields.Date(data_key="validUntil", required=True)
    scan = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}\Z"),
                         metadata={"description": "SHA-256 of the certificate's scan, uploaded with POST /attachments"})


class CertificationQuery(Schema):
    organization = RowId(strict=False)
    product = RowId(strict=False)


class CertificationCheckIn(Schema):
    result = fields.String(required=True, validate=validate.OneOf(list(RESULTS)))
    note = Text(1000)


class CertificationOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer(data_key="organization")
    kind = fields.String()
    issuer = fields.String()
    number = fields.String()
    products = fields.Function(lambda c: c.product_ids)
    valid_from = fields.Date(data_key="validFrom")
    valid_until = fields.Date(data_key="validUntil")
    scan = fields.String(allow_none=True, attribute="scan_sha256")
    record = fields.String(attribute="record_id")
    verification = fields.Function(lambda c: None if c.check_result is None else {
        "result": c.check_result, "note": c.check_note, "by": c.checked_by,
        "at": c.checked_at.isoformat().replace("+00:00", "Z") if c.checked_at else None, "record": c.check_record_id})
    created_at = UTCDateTimeOut(data_key="createdAt")


class RegionIn(Schema):
    province = Text(64, required=True)
    county = Text(64)


class BrandIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{1,31}\Z"))
    name = Text(100, required=True)
    name_en = Text(100, data_key="nameEn")
    owner = RowId(required=True)
    categories = fields.List(fields.String(validate=CATEGORY_CODE), required=True, validate=validate.Length(min=1))
    region = fields.Nested(RegionIn, required=True)
    required_certifications = fields.List(fields.String(validate=validate.OneOf(list(KINDS))),
                                          data_key="requiredCertifications", load_default=list)
    requires_test = fields.Boolean(data_key="requiresTest", load_default=False)


class GrantIn(Schema):
    organization = RowId(required=True)
    categories = fields.List(fields.String(validate=CATEGORY_CODE), required=True, validate=validate.Length(min=1))
    valid_from = fields.Date(data_key="validFrom", required=True)
    valid_until = fields.Date(data_key="validUntil", required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["valid_until"] < data["valid_from"]:
            raise ValidationError({"validUntil": ["Before validFrom."]})


class GrantRevocationIn(Schema):
    reason = Text(1000, required=True)


class GrantOut(Schema):
    id = fields.Integer()
    brand = fields.Integer(attribute="brand_id")
    organization = fields.Integer(attribute="organization_id")
    categories = fields.List(fields.String())
    valid_from = fields.Date(data_key="validFrom")
    valid_until = fields.Date(data_key="validUntil")
    record = fields.String(attribute="record_id")
    granted_at = UTCDateTimeOut(data_key="grantedAt")
    revoked_at = UTCDateTimeOut(allow_none=True, data_key="revokedAt")
    revoked_reason = fields.String(allow_none=True, data_key="revokedReason")
    revocation_record = fields.String(allow_none=True, attribute="revocation_record_id", data_key="revocationRecord")


class BrandOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True, data_key="nameEn")
    owner = fields.Integer(attribute="owner_id")
    categories = fields.List(fields.String())
    region = fields.Raw()
    required_certifications = fields.List(fields.String(), data_key="requiredCertifications")
    requires_test = fields.Boolean(data_key="requiresTest")
    record = fields.String(attribute="record_id")
    grants = fields.List(fields.Nested(GrantOut))
    created_at = UTCDateTimeOut(data_key="createdAt")
