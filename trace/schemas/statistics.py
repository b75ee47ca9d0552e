"""Statistics, monthly reports, private values and aid status."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

GROUPS = ("township", "category", "organization", "month")


class StatisticsQuery(Schema):
    group = fields.String(required=True, validate=validate.OneOf(GROUPS))
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)


class MonthlyReportQuery(Schema):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                                   error="A month as YYYY-MM, e.g. 2026-11."))
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx", "pdf")))


class PrivateValuesOut(Schema):
    event_id = fields.String(data_key="record")
    organization_id = fields.Integer(data_key="organization")
    salt = fields.String()
    values = fields.Dict()


class AidIn(Schema):
    kind = fields.String(required=True, allow_none=True, validate=validate.OneOf(("household", "cooperative")))
    households = fields.Integer(strict=True, allow_none=True, load_default=None,
                                validate=validate.Range(min=1, max=100000))


class AidOut(Schema):
    organization_id = fields.Integer(data_key="organization")
    kind = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
