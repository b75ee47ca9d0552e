"""Lineage, recalls, compliance checks and exports: query strings and bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.schemas.common import PageQuery, Text, TraceCode

SEVERITIES = ["low", "medium", "high", "critical"]
RULES = ["pre_harvest_interval", "sale_after_failed_inspection", "sale_of_recalled_batch",
         "sale_under_invalid_certification", "temperature_out_of_range", "stage_out_of_order",
         "quantity_exceeds_available", "sale_after_best_before", "cold_chain_excursion",
         "receiving_without_certificate", "repacked_without_certificate"]


class CommaList(fields.String):
    """A comma-separated list in a query string, each item one of some choices."""

    def __init__(self, choices: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": f"Comma-separated, among: {', '.join(choices)}."})
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:  # type: ignore[override]
        text = super()._deserialize(value, attr, data, **kwargs)
        items = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in items if v not in self.choices]
        if bad:
            raise ValidationError(f"Must be among: {', '.join(self.choices)} (got {', '.join(bad)}).")
        return items


class TimeRange(Schema):
    """``from``/``to`` (RFC 3339 with an offset); ``to`` is exclusive."""

    start = fields.AwareDateTime(data_key="from", format="iso")
    end = fields.AwareDateTime(data_key="to", format="iso")

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if "start" in data and "end" in data and data["start"] >= data["end"]:
            raise ValidationError({"to": ["Must be after from."]})


class TraceQuery(Schema):
    direction = fields.String(load_default="both", validate=validate.OneOf(["backward", "forward", "both"]))


class TraceGraphQuery(TraceQuery):
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class RecallIn(Schema):
    reason = Text(1000, required=True)


class RecallCloseIn(Schema):
    note = Text(1000, required=True)


class RecallQuery(Schema):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))


class FindingQuery(PageQuery):
    severity = CommaList(SEVERITIES)
    rule = CommaList(RULES)
    batch = TraceCode()
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "all"]))


class ComplianceRunIn(TimeRange):
    """Scope of an on-demand run: one batch's whole lineage, events in a time range, or everything."""

    batch = TraceCode()

    @validates_schema
    def _one_scope(self, data: dict[str, Any], **_: Any) -> None:
        if "batch" in data and ("start" in data or "end" in data):
            raise ValidationError({"batch": ["Give a batch or a time range, not both."]})


class ResolveIn(Schema):
    note = Text(1000, required=True)


class ExportQuery(TimeRange):
    """What to export: a batch's whole lineage, or the events that occurred in a time range."""

    batch = TraceCode()

    @validates_schema
    def _scope(self, data: dict[str, Any], **_: Any) -> None:
        if "batch" in data and ("start" in data or "end" in data):
            raise ValidationError({"batch": ["Give a batch or from/to, not both."]})
        if "batch" not in data and not ("start" in data and "end" in data):
            raise ValidationError({"batch": ["Give a batch, or both from and to."]})
