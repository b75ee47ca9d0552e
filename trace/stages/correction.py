"""Correction (更正): corrects or voids an earlier record of the same organization, with the reason.

Records never change; a correction names the record, the fields with their new values (or
``void``) and why. Made through POST /api/v1/events/<id>/corrections (services/records/corrections.py).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validates_schema

from trace.stages.base import Stage
from trace.stages.fields import text


class CorrectionData(Schema):
    record = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String())
    void = fields.Boolean()
    reason = text(1000, required=True)

    @validates_schema
    def _fields_or_void(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("fields_")) == bool(data.get("void")):
            raise ValidationError({"fields": ["Give the corrected fields, or void: true (not both)."]})


class Correction(Stage):
    name = "correction"
    position = 150
    label = _l("Correction")
    biz_step = "trace:correction"
    schema = CorrectionData
    service_only = True
    recorded_through = "/api/v1/events/<id>/corrections"
    labels = {"record": _l("Record"), "fields": _l("Corrected fields"), "void": _l("Void"), "reason": _l("Reason")}
