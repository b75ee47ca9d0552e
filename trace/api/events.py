"""Events and transformations."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaValidationError

from trace.api.base import created, current_user, json_body, ledger_config, load, route
from trace.db import db
from trace.errors import PayloadTooLargeError, ValidationError
from trace.schemas.events import CorrectionIn, EventIn, EventOut, TransformationIn
from trace.schemas.fastload import loader_of
from trace.services.records import events as svc
from trace.services.records.corrections import correct_record

TAG = "Events"


class BulkIn(Schema):
    # Each item is loaded once, below, by the event or transformation schema (a Dict field would copy it first).
    events = fields.List(fields.Raw(metadata={"type": "object"}), required=True, validate=validate.Length(min=1))


class BulkItemOut(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": ["created", "replayed"]})
    log_index = fields.Integer(data_key="logIndex", allow_none=True)


class BulkOut(Schema):
    created = fields.Integer()
    replayed = fields.Integer()
    items = fields.List(fields.Nested(BulkItemOut))


@route("/events", "POST", "Record a stage of one or more batches; the client-chosen id makes retries "
       "idempotent (201 new, 200 replay of the same content, 409 same id with other content)", TAG,
       body=EventIn, response=EventOut, status=201, errors=(400, 401, 403, 409, 413, 415, 422))
def record_event() -> Any:
    user = current_user()
    payload = load(EventIn(), json_body())
    event, new = svc.record_event(db.session(), user, payload, ledger=ledger_config())
    return created(EventOut().dump(event), 201 if new else 200, Location=f"/api/v1/events/{event.id}")


@route("/transformations", "POST", "Process, split or merge: consume quantities of input batches and "
       "create output batches (idempotent like /events)", TAG,
       body=TransformationIn, response=EventOut, status=201, errors=(400, 401, 403, 409, 413, 415, 422))
def record_transformation() -> Any:
    user = current_user()
    payload = load(TransformationIn(), json_body())
    event, new = svc.record_transformation(db.session(), user, payload, ledger=ledger_config())
    return created(EventOut().dump(event), 201 if new else 200, Location=f"/api/v1/events/{event.id}")


@route("/events/bulk", "POST", "Record up to TRACE bulk limit (default 1,000) events and transformations, "
       "all or nothing; each item is an event body, or a transformation body when it has inputs. The answer "
       "lists each item's id, status (created or replayed) and log index; GET /events/<id> has the rest", TAG,
       body=BulkIn, response=BulkOut, status=201, errors=(400, 401, 403, 409, 413, 415, 422))
def record_bulk() -> Any:
    user = current_user()
    raw = json_body()
    body = load(BulkIn(), raw)
    limit = current_app.config["TRACE"].bulk_limit
    if len(body["events"]) > limit:
        raise PayloadTooLargeError(f"A bulk request holds at most {limit} events; split it.")
    items = []
    event_in, transformation_in = loader_of(EventIn), loader_of(TransformationIn)  # built once, fast on valid items
    for i, item in enumerate(body["events"]):
        if not isinstance(item, dict):
            raise ValidationError(f"events[{i}] is not an object.",
                                  errors={"events": {i: ["Not a valid mapping type."]}})
        schema = transformation_in if "inputs" in item else event_in
        try:
            items.append(schema(item))
        except SchemaValidationError as exc:
            raise ValidationError(f"events[{i}] has invalid fields.",
                                  errors={"events": {i: exc.normalized_messages()}}) from exc
    results = svc.record_bulk(db.session(), user, items, ledger=ledger_config())
    created_count = sum(1 for r in results if r.new)
    return created({"created": created_count, "replayed": len(results) - created_count,
                    "items": [{"id": r.id, "status": "created" if r.new else "replayed", "logIndex": r.log_index}
                              for r in results]},
                   201 if created_count else 200)


@route("/events/<uuid:event_id>", "GET", "One event", TAG, response=EventOut, errors=(401, 403, 404))
def get_event(event_id: Any) -> Any:
    user = current_user()
    return jsonify(EventOut().dump(svc.read_event(db.session(), user, str(event_id))))


@route("/events/<uuid:event_id>/corrections", "POST", "Correct or void a record of your organization with a "
       "signed correction record (fields with new values, or void: true, and the reason); the record itself never "
       "changes. Pages and exports show the corrected values with a note", TAG,
       body=CorrectionIn, response=EventOut, status=201, errors=(400, 401, 403, 404, 409, 415, 422))
def correct_event(event_id: Any) -> Any:
    user = current_user()
    body = load(CorrectionIn(), json_body())
    request = {"fields": body.get("fields_") or {}, "void": bool(body.get("void")), "reason": body["reason"]}
    if body.get("id"):
        request["id"] = str(body["id"])
    event, new = correct_record(db.session(), user, str(event_id), request, ledger=ledger_config())
    return created(EventOut().dump(event), 201 if new else 200, Location=f"/api/v1/events/{event.id}")
