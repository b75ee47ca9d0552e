"""Registration (登记): a batch's facts as registered, or as the transformation that made it left them.

Written by the server when a batch is registered and for each transformation output, never sent
to /events. It is the first record of every batch's chain and holds every fact a page or export
shows of the batch; the audit and the page's verdict hold the batch row equal to it (after
corrections). Back-filled records (``backfilled``) are signed by the log key.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import Quantity, RowId, Unit
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text


class ProductRef(Schema):
    id = RowId(required=True)
    name = text(required=True)
    name_en = text(data_key="nameEn", allow_none=True)
    gtin = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{14}\Z"))
    category = text(32, required=True)


class RegistrationData(Schema):
    product = fields.Nested(ProductRef, required=True)
    organization = fields.String(required=True)
    lot = text(20, required=True)
    quantity = Quantity(required=True)
    uom = Unit(required=True)
    origin = fields.Dict()
    produced_at = fields.String(data_key="producedAt")
    transformation = fields.String()  # the record id of the transformation that made this batch
    backfilled = fields.Boolean()


class Registration(Stage):
    name = "registration"
    position = 5
    label = _l("Registration")
    biz_step = CBV + "commissioning"
    schema = RegistrationData
    service_only = True
    recorded_through = "/api/v1/batches"
    epcis_action = "ADD"
    labels = {"product": _l("Product"), "organization": _l("Producer"), "lot": _l("Lot"),
              "quantity": _l("Quantity"), "uom": _l("Unit"), "origin": _l("Origin plot"),
              "producedAt": _l("Produced"), "transformation": _l("Made by"), "backfilled": _l("Back-filled")}

    def details(self, data: dict[str, object], view: PageView) -> list[Detail]:
        return [(self.labels["lot"], data.get("lot")),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom")))]  # type: ignore[arg-type]
