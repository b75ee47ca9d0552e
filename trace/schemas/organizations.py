"""Organizations, members and tokens."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from trace.codes.uscc import is_valid_uscc
from trace.models.organization import OrganizationKind, Role
from trace.schemas.common import Text, UTCDateTimeOut


def _text(max_len: int, **kw: Any) -> Text:
    return Text(max_len, **kw)


class RegionSchema(Schema):
    province = _text(64, required=True)
    county = _text(64, required=True)
    township = _text(64, allow_none=True)
    village = _text(64, allow_none=True)
    # From the township register: the names above are then taken from it.
    township_code = fields.String(data_key="townshipCode", allow_none=True,
                                  validate=validate.Regexp(r"^[1-9][0-9]{11}$"))
    village_code = fields.String(data_key="villageCode", allow_none=True,
                                 validate=validate.Regexp(r"^[1-9][0-9]{11}$"))


class ContactSchema(Schema):
    name = _text(100, allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^\+?[0-9][0-9 -]{4,30}$"))


class OrganizationIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in OrganizationKind]))
    name = _text(200, required=True)
    name_en = _text(200, data_key="nameEn", allow_none=True)
    credit_code = fields.String(data_key="creditCode", allow_none=True)
    region = fields.Nested(RegionSchema, required=True)
    contact = fields.Nested(ContactSchema, load_default=dict)

    @validates("credit_code")
    def _credit_code(self, value: str | None, **_: Any) -> None:
        if value is not None and not is_valid_uscc(value):
            raise ValidationError("Not a valid unified social credit code (统一社会信用代码).")


class OrganizationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    name_en = fields.String(data_key="nameEn")
    credit_code = fields.String(data_key="creditCode")
    region = fields.Function(
        lambda o: {"province": o.province, "county": o.county, "township": o.township, "village": o.village,
                   "townshipCode": o.township_code, "villageCode": o.village_code}
    )
    contact = fields.Function(lambda o: {"name": o.contact_name, "phone": o.contact_phone})
    created_at = UTCDateTimeOut(data_key="createdAt")


class UserIn(Schema):
    name = _text(100, required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))


class UserOut(Schema):
    id = fields.Integer()
    organization_id = fields.Integer(data_key="organization")
    name = fields.String()
    role = fields.String()
    created_at = UTCDateTimeOut(data_key="createdAt")


class TokenIn(Schema):
    name = _text(100, required=True)


class TokenOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer(data_key="user")
    name = fields.String()
    prefix = fields.String()
    created_at = UTCDateTimeOut(data_key="createdAt")
    last_used_at = UTCDateTimeOut(data_key="lastUsedAt")
    revoked_at = UTCDateTimeOut(data_key="revokedAt")


class NewTokenOut(TokenOut):
    token = fields.String()
