"""Test request (委托检测): a producer asks a laboratory to test a batch; the laboratory's signed result answers it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from trace.errors import ValidationError
from trace.models import Batch, Organization
from trace.schemas.common import RowId
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text

LABORATORY_KIND = "inspection_agency"


class RequestedTestData(Schema):
    laboratory = RowId(required=True)
    # No items named: the laboratory's routine tests (a sample handed in at a scanner). Not named ``items``:
    # a dump of data without it would read the dict's own ``items`` method.
    item_names = fields.List(text(100), data_key="items", validate=validate.Length(min=1, max=200))
    sample_quantity = text(32, data_key="sampleQuantity")
    note = text(500)


def laboratory_exists(session: Session, data: dict[str, Any], key: str = "laboratory") -> int:
    """Return the laboratory organization a record names, or refuse the record."""
    org = session.get(Organization, data[key])
    if org is None or org.kind != LABORATORY_KIND:
        raise ValidationError("Name a laboratory (an organization of kind inspection_agency).",
                              errors={"data": {key: ["No such laboratory."]}})
    return org.id


class RequestedTest(Stage):
    name = "test_request"
    position = 48
    label = _l("Test request")
    biz_step = CBV + "sampling"
    schema = RequestedTestData
    universal = True
    party_field = "laboratory"
    labels = {"laboratory": _l("Laboratory"), "items": _l("Items requested"),
              "sampleQuantity": _l("Sample"), "note": _l("Note")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        laboratory_exists(session, data)

    def ship_from_to(self, data: dict[str, Any], own: str, name: Any) -> tuple[str, str]:
        return own, name(data.get("laboratory"))

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        items = data.get("items")
        joined = view.join([str(i) for i in items]) if isinstance(items, list) else None
        return [(self.labels["laboratory"], view.organization(data.get("laboratory"))),
                (self.labels["items"], joined)]
