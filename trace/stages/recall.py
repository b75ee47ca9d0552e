"""Recall (召回): a recall reaching a batch, or its closing; only the recall service sets the recall's id."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import RowId
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text

ACTIONS = {"open": _l("Recall opened"), "close": _l("Recall closed")}


class RecallData(Schema):
    """A recall reaching a batch (``action`` open, the default) or its closing (``action`` close).

    Records made through /batches/<code>/recalls carry the recall's id; closing records carry
    the note the recall was closed with instead of a reason.
    """

    reason = text(1000)
    action = fields.String(validate=validate.OneOf(list(ACTIONS)))
    recall_id = RowId(data_key="recallId")
    origin = fields.String(validate=validate.Length(equal=13))
    note = text(1000)

    @validates_schema
    def _reason_or_note(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("action") == "close":
            if not data.get("note"):
                raise ValidationError({"note": ["Required when closing a recall."]})
            if data.get("recall_id") is None:
                raise ValidationError({"recallId": ["Required when closing a recall."]})
        elif not data.get("reason"):
            raise ValidationError({"reason": ["Missing data for required field."]})


def closes(data: dict[str, Any]) -> bool:
    """Tell whether a recall record closes the recall rather than opening it."""
    return data.get("action") == "close"


class Recall(Stage):
    name = "recall"
    position = 130
    label = _l("Recall")
    biz_step = CBV + "holding"
    schema = RecallData
    universal = inspectors_record = recalls = True
    service_fields = frozenset({"action", "recallId"})
    recorded_through = "/api/v1/batches/<code>/recalls"
    references = (("recallId", "召回 recall"),)
    labels = {"reason": _l("Reason"), "action": _l("Action"), "recallId": _l("Recall no."),
              "origin": _l("Origin batch"), "note": _l("Note")}
    values = {"action": ACTIONS}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        if closes(data):  # closing leaves the stock recalled
            return
        for batch in batches:
            if batch.status != "destroyed":
                batch.status = batch.disposition = "recalled"

    def disposition_of(self, data: dict[str, Any]) -> str | None:
        return None if closes(data) else "recalled"

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        if closes(data):
            closed = str(ACTIONS["close"])
            return [(self.labels["note"], f"{closed}：{data.get('note')}" if view.lang == "zh"
                     else f"{closed}: {data.get('note')}")]
        return [(self.labels["reason"], data.get("reason"))]
