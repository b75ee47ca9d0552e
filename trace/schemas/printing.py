"""Printed codes: QR image and label sheet queries, certificate issuance and output."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.codes.labels import LAYOUTS
from trace.limits import MAX_LABELS_PER_PRINT
from trace.schemas.common import Quantity, RowId, Text, Unit, UTCDateTimeOut
from trace.schemas.events import EventOut

# The most labels one request prints: one PDF stays within seconds to make (DESIGN.md §10).
# Pixels per QR module in PNGs: 1 is the smallest that decodes; 40 gives about 1,500 px for our URLs.
MAX_MODULE_PX = 40
BASIS_CODES = ("commissioned_test", "self_test", "quality_control")


class _ErrorCorrection(fields.String):
    """M (default, 15 % recovery) or Q (25 %), any case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(load_default="M", validate=validate.OneOf(["M", "Q"], error="Use M or Q. 请使用 M 或 Q。"),
                         **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).upper()


class QrSvgQuery(Schema):
    ec = _ErrorCorrection()


class QrPngQuery(QrSvgQuery):
    size = fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=MAX_MODULE_PX,
                                error=f"Pixels per module: 1 to {MAX_MODULE_PX}. 每个模块 1 至 {MAX_MODULE_PX} 像素。"),
        metadata={"description": "pixels per QR module"},
    )


class LabelQuery(Schema):
    layout = fields.String(
        required=True,
        validate=validate.OneOf(list(LAYOUTS), error=f"Unknown layout; choose one of {', '.join(LAYOUTS)}. "
                                                     f"未知的标签版式，可选：{'、'.join(LAYOUTS)}。"),
    )
    count = fields.Integer(
        validate=validate.Range(
            min=1, max=MAX_LABELS_PER_PRINT,
            error=f"Print 1 to {MAX_LABELS_PER_PRINT} labels at a time. 每次打印 1 至 {MAX_LABELS_PER_PRINT} 张。"),
        metadata={"description": "labels to print; default one full sheet (one label on thermal rolls)"},
    )
    ec = _ErrorCorrection()
    run = RowId(strict=False, metadata={"description": "a label run: one label per unit serial, in serial order"})
    lang = fields.String(validate=validate.OneOf(["zh", "en"]), metadata={
        "description": "the captions' language; default the lang cookie, then Accept-Language, then Chinese"})
    start = fields.Integer(validate=validate.Range(min=0), metadata={
        "description": "with run: the first unit to print (0-based), for runs longer than one request prints"})

    @validates_schema
    def _start_needs_run(self, data: dict[str, Any], **_: Any) -> None:
        if "start" in data and "run" not in data:
            raise ValidationError({"start": ["Only with run. 仅用于 run。"]})


class CertificateQuery(Schema):
    event = fields.UUID(metadata={"description": "a certificate event of the batch; default the latest"})
    form = fields.String(load_default="card", validate=validate.OneOf(("card", "qr")), metadata={
        "description": "card: the A6 card; qr: the certificate in QR form, a 60 × 40 mm sticker for thermal printers"})


class CertificateIn(Schema):
    """Issue a 承诺达标合格证; what is left out is taken from the batch and its organization."""

    id = fields.UUID(metadata={"description": "idempotency key: a retry with the same id returns the first issue"})
    number = Text(64,
                           metadata={"description": "certificate number; default HGZ-<date>-<random>"})
    basis = fields.List(
        fields.String(validate=validate.OneOf(BASIS_CODES, error=(
            "Use commissioned_test (委托检测), self_test (自行检测) or quality_control (质量安全控制)."))),
        required=True, validate=validate.Length(min=1, max=len(BASIS_CODES)),
    )
    quantity = Quantity(metadata={"description": "quantity certified; default what is available of the batch"})
    uom = Unit(metadata={"description": "default the batch's unit"})
    origin = Text(200,
                           metadata={"description": "产地; default the organization's region and the batch's plot"})
    contact = Text(100,
                            metadata={"description": "联系方式; default the organization's contact"})

    @validates_schema
    def _distinct(self, data: dict[str, Any], **_: Any) -> None:
        basis = data.get("basis") or []
        if len(set(basis)) != len(basis):
            raise ValidationError({"basis": ["A basis is listed twice. 承诺依据重复。"]})


class CertificateOut(Schema):
    """What the card states, as issued."""

    number = fields.String()
    product_name = fields.String(data_key="productName")
    quantity = fields.String()
    origin = fields.String()
    issued_at = UTCDateTimeOut(data_key="issuedAt")
    subject_name = fields.String(data_key="subject")
    issuer_name = fields.String(data_key="issuedBy", allow_none=True,
                                metadata={"description": "the administrator's organization that issued it (代开)"})
    contact = fields.String()
    basis = fields.List(fields.String())
    url = fields.String()


class IssuedCertificateOut(Schema):
    event = fields.Nested(EventOut)
    certificate = fields.Nested(CertificateOut)
    pdf = fields.String()
