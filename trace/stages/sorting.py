"""Sorting (分拣/分级): grading a batch, or splitting it into graded batches through /transformations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import Quantity, Unit
from trace.stages.base import Detail, PageView, Stage
from trace.stages.fields import text
from trace.stages.processing import INPUTS, OUTPUTS


class Grade(Schema):
    grade = text(32, required=True)
    quantity = Quantity(required=True)
    uom = Unit(required=True)


class SortingData(Schema):
    grades = fields.List(fields.Nested(Grade), validate=validate.Length(min=1, max=50))
    method = text()


class Sorting(Stage):
    name = "sorting"
    position = 60
    label = _l("Sorting")
    biz_step = "trace:sorting"
    schema = SortingData
    disposition = "active"
    transformation = ordered = True
    cte = "Transformation"
    labels = {"method": _l("Method"), "grades": _l("Grades"), "grades.grade": _l("Grade"),
              "grades.quantity": _l("Quantity"), "grades.uom": _l("Unit")}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        grades = data.get("grades")
        text = view.join([f"{g.get('grade')} {view.amount(g.get('quantity'), g.get('uom')) or ''}".strip()
                          for g in grades if isinstance(g, dict)]) if isinstance(grades, list) else None
        return [(self.labels["method"], data.get("method")), (self.labels["grades"], text),
                (INPUTS, view.lines("input")), (OUTPUTS, view.lines("output"))]
