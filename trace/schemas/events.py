"""Events and transformations."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.ledger.numbers import unsafe_integer_at
from trace.schemas.batches import BatchOut, OriginPlot
from trace.schemas.common import (
    BatchQuantity,
    Measurement,
    PastDateTime,
    Quantity,
    RowId,
    Text,
    TraceCode,
    Unit,
    UTCDateTimeOut,
)
from trace.stages import OneOfStages


class Location(Schema):
    id = RowId(metadata={"description": "A registered location of the recording organization (scanners)."})
    name = Text(200, min_len=0)
    latitude = Measurement(validate=validate.Range(min=-90, max=90))
    longitude = Measurement(validate=validate.Range(min=-180, max=180))


class Attachment(Schema):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}\Z"))
    name = Text(200, required=True)
    mime = Text(100, min_len=3, required=True)
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class DeviceSignature(Schema):
    key_id = fields.String(data_key="keyId", required=True, validate=validate.Regexp(r"^[0-9a-f]{64}\Z"))
    sig = fields.String(required=True, validate=validate.Length(min=1, max=200))


def signable(value: Any) -> None:
    """Refuse raw JSON holding an integer a signed record cannot carry exactly."""
    where = unsafe_integer_at(value)
    if where is not None:
        raise ValidationError(f"整数超出可签名范围（±2^53−1）：{where}。 An integer at {where} is beyond ±(2^53 − 1), "
                              "which a signed record cannot carry exactly: send it as a decimal string.")


class EventIn(Schema):
    id = fields.UUID(required=True)
    stage = fields.String(required=True, validate=OneOfStages())
    batches = fields.List(TraceCode(), required=True, validate=validate.Length(min=1, max=100))
    occurred_at = PastDateTime(data_key="occurredAt", required=True)
    location = fields.Nested(Location, allow_none=True)
    data = fields.Dict(load_default=dict)
    sensors = fields.List(fields.Dict(), allow_none=True, validate=[validate.Length(max=1000), signable])
    attachments = fields.List(fields.Nested(Attachment), load_default=list, validate=validate.Length(max=20))
    device_signature = fields.Nested(DeviceSignature, data_key="deviceSignature")

    @validates_schema
    def _shape(self, data: dict[str, Any], **_: Any) -> None:
        if len(set(data["batches"])) != len(data["batches"]):
            raise ValidationError({"batches": ["A batch is listed twice."]})


class InputLine(Schema):
    batch = TraceCode(required=True)
    quantity = BatchQuantity(required=True)
    uom = Unit(required=True)


class OutputLine(Schema):
    product = RowId(required=True)
    lot = fields.String(required=True, validate=validate.Regexp(r"^[!-~]{1,20}\Z"))
    quantity = BatchQuantity(required=True)
    uom = Unit(required=True)
    origin = fields.Nested(OriginPlot, allow_none=True)


class TransformationIn(Schema):
    id = fields.UUID(required=True)
    stage = fields.String(required=True, validate=OneOfStages(lambda s: s.transformation))
    occurred_at = PastDateTime(data_key="occurredAt", required=True)
    inputs = fields.List(fields.Nested(InputLine), required=True, validate=validate.Length(min=1, max=100))
    outputs = fields.List(fields.Nested(OutputLine), required=True, validate=validate.Length(min=1, max=100))
    location = fields.Nested(Location, allow_none=True)
    data = fields.Dict(load_default=dict)

    @validates_schema
    def _distinct(self, data: dict[str, Any], **_: Any) -> None:
        codes = [line["batch"] for line in data["inputs"]]
        if len(codes) != len(set(codes)):
            raise ValidationError({"inputs": ["A batch is listed twice."]})
        lots = [(line["product"], line["lot"]) for line in data["outputs"]]
        if len(lots) != len(set(lots)):
            raise ValidationError({"outputs": ["Two outputs have the same product and lot."]})


class EventBatchOut(Schema):
    batch = fields.Function(lambda eb: eb.batch.trace_code)
    role = fields.String()
    quantity = Quantity()
    uom = fields.String()


class EventOut(Schema):
    id = fields.String()
    stage = fields.String()
    biz_step = fields.String(data_key="bizStep")
    organization_id = fields.Integer(data_key="organization")
    actor = fields.String()
    occurred_at = UTCDateTimeOut(data_key="occurredAt")
    recorded_at = UTCDateTimeOut(data_key="recordedAt")
    batches = fields.Function(lambda e: [eb.batch.trace_code for eb in e.batches if eb.role == "subject"])
    inputs = fields.Function(
        lambda e: [EventBatchOut(exclude=["role"]).dump(eb) for eb in e.batches if eb.role == "input"]
    )
    outputs = fields.Function(
        lambda e: [EventBatchOut(exclude=["role"]).dump(eb) for eb in e.batches if eb.role == "output"]
    )
    location = fields.Raw(allow_none=True)
    data = fields.Raw()
    sensors = fields.Raw(allow_none=True)
    attachments = fields.Raw()


class CorrectionIn(Schema):
    """Correct (new values for named fields) or void a record of your organization, saying why."""

    id = fields.UUID(metadata={"description": "Optional: the correction's own id, so a retry is recognised."})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(),
                          metadata={"description": "Field names of the record's data (for a registration: lot, "
                                                   "quantity, uom, origin, producedAt) and their corrected values."})
    void = fields.Boolean(metadata={"description": "true: the record was made in error and no longer counts."})
    reason = Text(1000, required=True, multiline=True)


def _shape(description: str, **members: fields.Field) -> fields.List:
    """A list of objects with these members (values as the verdict carries them)."""
    return fields.List(fields.Nested(Schema.from_dict(members, name=description)(unknown="raise")),
                       required=True)


class VerdictOut(Schema):
    """What the lookup page may claim of a batch, and who vouches for it (services/quality/views.verdict_view)."""

    verified = fields.Boolean(required=True, metadata={"description": "signed, logged and its chain complete"})
    cleared = fields.Boolean(required=True, metadata={"description": "verified and no caution: the page's green mark"})
    records = fields.Integer(required=True)
    checkpoint = fields.Integer(required=True, allow_none=True, metadata={"description": "log size checked against"})
    problems = _shape("VerdictProblem", kind=fields.String(), event=fields.String(allow_none=True),
                      detail=fields.String(allow_none=True))
    cautions = _shape("VerdictCaution", kind=fields.String(), batch=fields.String(allow_none=True),
                      record=fields.String(allow_none=True))
    endorsements = _shape("VerdictEndorsement", kind=fields.String(), by=fields.Raw(allow_none=True),
                          batch=fields.Raw(allow_none=True), record=fields.Raw(allow_none=True),
                          basis=fields.Raw(allow_none=True), at=fields.String(allow_none=True),
                          until=fields.String(allow_none=True))
    results = _shape("VerdictResult", **{k: fields.Raw(allow_none=True) for k in (
        "record", "batch", "product", "depth", "source", "occurredAt", "result", "kind", "basis", "signedBy", "lab",
        "sampledBy", "requestedBy", "answers", "reportNumber", "items")})
    credentials = _shape("VerdictCredential", **{k: fields.Raw(allow_none=True) for k in (
        "kind", "what", "number", "by", "state", "until", "records")})


class BatchViewOut(BatchOut):
    """One batch with its events, oldest first, and the page's verdict."""

    events = fields.List(fields.Nested(EventOut), required=True)
    verdict = fields.Nested(VerdictOut, required=True)
