"""The township register: townships, villages and an organization's place."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trace.schemas.common import Text

DIVISION_CODE = validate.Regexp(r"^[1-9][0-9]{11}$", error="Twelve digits (统计用区划代码), e.g. 331124100000.")


class DivisionIn(Schema):
    code = fields.String(required=True, validate=DIVISION_CODE)
    name = Text(64, required=True)
    name_en = Text(128, data_key="nameEn", allow_none=True)


class DivisionPatch(Schema):
    name = Text(64)
    name_en = Text(128, data_key="nameEn", allow_none=True)


class VillageOut(Schema):
    code = fields.String()
    township_code = fields.String(data_key="township")
    name = fields.String()
    name_en = fields.String(allow_none=True, data_key="nameEn")


class TownshipOut(Schema):
    code = fields.String()
    county = fields.String(attribute="county_code")
    name = fields.String()
    name_en = fields.String(allow_none=True, data_key="nameEn")
    villages = fields.List(fields.Nested(VillageOut))


class PlacementIn(Schema):
    township = fields.String(required=True, allow_none=True, validate=DIVISION_CODE)
    village = fields.String(allow_none=True, load_default=None, validate=DIVISION_CODE)
