"""Processing (加工): input batches become new output batches, only through /transformations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text

# What the page lists of any transformation besides its data.
INPUTS, OUTPUTS = _l("Inputs"), _l("Outputs")


class ProcessingData(Schema):
    method = text()
    facility = text()


class Processing(Stage):
    name = "processing"
    position = 40
    label = _l("Processing")
    biz_step = CBV + "commissioning"
    schema = ProcessingData
    disposition = "active"
    transformation = transformation_only = True
    cte = "Transformation"
    ordered = True
    labels = {"method": _l("Method"), "facility": _l("Facility")}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [*super().details(data, view), (INPUTS, view.lines("input")), (OUTPUTS, view.lines("output"))]
