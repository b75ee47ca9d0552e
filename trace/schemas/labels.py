"""Unit labels: how many to issue, and the runs with their serials and lookup URLs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trace.limits import MAX_LABEL_RUN
from trace.schemas.common import UTCDateTimeOut


class LabelsIn(Schema):
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_LABEL_RUN))


class UnitOut(Schema):
    serial = fields.String()
    url = fields.String()
    scan_count = fields.Integer(data_key="scanCount")
    first_scanned_at = UTCDateTimeOut(allow_none=True, data_key="firstScannedAt")
    last_scanned_at = UTCDateTimeOut(allow_none=True, data_key="lastScannedAt")


class LabelRunOut(Schema):
    id = fields.Integer()
    batch = fields.String()
    count = fields.Integer()
    scanned = fields.Integer()
    created_at = UTCDateTimeOut(data_key="createdAt")
    units = fields.List(fields.Nested(UnitOut))
