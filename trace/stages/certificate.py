"""Certificate (开具合格证): a 承诺达标合格证 issued for the batch."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import Quantity, Unit
from trace.stages.base import Detail, Label, PageView, Stage
from trace.stages.fields import text

BASES = {"quality_control": _l("Quality and safety controls met"), "self_test": _l("Passed its own test"),
         "commissioned_test": _l("Passed a commissioned test")}


class CertificateData(Schema):
    """A 承诺达标合格证: its number, the basis of the promise, and what the card states.

    quantity/uom, origin and contact are what was printed; records from before they were
    added lack them, and the card then shows the batch's own values.
    """

    number = text(64, required=True)
    basis = fields.List(fields.String(validate=validate.OneOf(list(BASES))), required=True,
                        validate=validate.Length(min=1))
    quantity = Quantity()
    uom = Unit()
    origin = text()
    contact = text(100)


def bases(data: dict[str, Any]) -> list[Label]:
    """Return the labels of a 合格证's bases."""
    basis = data.get("basis")
    return [BASES.get(str(b), str(b)) for b in basis] if isinstance(basis, list) else []


class Certificate(Stage):
    name = "certificate"
    position = 120
    label = _l("Certificate")
    biz_step = "trace:certificate"
    schema = CertificateData
    universal = certifies = True
    references = (("number", "合格证 certificate"),)
    labels = {"number": _l("Certificate no."), "basis": _l("Basis"), "quantity": _l("Quantity"), "uom": _l("Unit"),
              "origin": _l("Origin"), "contact": _l("Contact")}
    values = {"basis": BASES}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        texts = [str(b) for b in bases(data)]
        return [(self.labels["number"], data.get("number")), (self.labels["basis"],
                                                          view.join(texts))]
