"""Scanner devices: enrolment, listing and revocation; their records (answered per item); the register of places."""

from __future__ import annotations

import base64
from typing import Any

from flask import current_app, g, jsonify, request
from marshmallow import Schema, fields, validate

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.db import db
from trace.errors import PayloadTooLargeError
from trace.models.device import DEVICE_KINDS, LOCATION_KINDS
from trace.schemas.common import Text
from trace.services.devices import enrolment as svc
from trace.services.devices import locations as places
from trace.services.devices.records import record_device_items, resolve_identifiers
from trace.services.signing.keys import key_view

TAG = "Devices"
MAX_ITEMS = 1000


class DeviceIn(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,64}\Z"))
    public_key = fields.String(data_key="publicKey", required=True)
    kind = fields.String(load_default="scanner", validate=validate.OneOf(DEVICE_KINDS),
                         metadata={"description": "scanner, or a sensor or gateway that publishes over MQTT"})
    location = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                              metadata={"description": "Where a sensor or gateway is installed (a location id)"})


class DeviceRevocationIn(Schema):
    reason = Text(500, required=True)


class DeviceRecordsIn(Schema):
    # Any JSON per item: each is checked on its own and answered in ``items`` (never all or nothing).
    records = fields.List(fields.Raw(), required=True,
                          validate=validate.Length(min=1),
                          metadata={"description": "Items {record, signature: {keyId, sig}, split?: {from, "
                                                   "quantity, uom}}; the record as the device signed it"})


class IdentifiersIn(Schema):
    items = fields.List(Text(100), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))


class LocationIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    name = Text(200, required=True)
    gln = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{13}\Z"))
    address = Text(300, min_len=0, allow_none=True)


class LocationChange(LocationIn):
    kind = fields.String(validate=validate.OneOf(LOCATION_KINDS))
    name = Text(200)


class LocationQuery(Schema):
    retired = fields.Boolean(load_default=False)


@route("/devices", "POST", "Enroll a device's (scanner, sensor, gateway) Ed25519 public key for your organization "
       "(producer); "
       "the enrolment is a log record", TAG, body=DeviceIn, status=201, errors=(401, 403, 409, 422))
def enroll_device() -> Any:
    user = current_user()
    fields_ = load(DeviceIn(), json_body())
    try:
        public = base64.b64decode(fields_["public_key"], validate=True)
    except ValueError:
        public = b""
    device = svc.enroll_device(db.session(), ledger_config(), user, fields_["name"], public, kind=fields_["kind"],
                               location_id=fields_["location"], via=g.token)
    return created({**key_view(device.key), "device": device.id})


@route("/devices", "GET", "Devices of your organization (producer) or of all (admin)", TAG, errors=(401, 403))
def list_devices() -> Any:
    return jsonify(items=[svc.device_view(d) for d in svc.list_devices(db.session(), current_user())])


@route("/devices/<id:device_id>/revoke", "POST", "Revoke a device (an admin, or a producer of its organization): "
       "records it signs from now on are refused", TAG, body=DeviceRevocationIn, errors=(401, 403, 404, 422))
def revoke_device(device_id: int) -> Any:
    user = current_user()
    fields_ = load(DeviceRevocationIn(), json_body())
    device = svc.revoke_device(db.session(), ledger_config(), user, device_id, fields_["reason"])
    return jsonify(svc.device_view(device))


@route("/devices/records", "POST", "Upload device-signed scan records; the answer is per item (accepted, already "
       "recorded, or refused with why), never all or nothing; the record id is the idempotency key. "
       "Authenticated by each record's device signature", TAG, auth=False, body=DeviceRecordsIn,
       errors=(400, 401, 413, 415, 422))
def upload_records() -> Any:
    body = load(DeviceRecordsIn(), json_body())
    limit = min(MAX_ITEMS, current_app.config["TRACE"].bulk_limit)
    if len(body["records"]) > limit:
        raise PayloadTooLargeError(f"An upload holds at most {limit} records; split it.")
    answers = record_device_items(db.session(), ledger_config(), body["records"], request.remote_addr)
    counts = {s: sum(1 for a in answers if a.status == s) for s in ("accepted", "already", "refused")}
    return jsonify(**counts, items=[a.view() for a in answers])


@route("/devices/resolve", "POST", "The batch each scanned identifier names (trace code, unit serial, or "
       "01/{gtin}/10/{lot}[/21/{serial}]); null when none", TAG, auth=False, body=IdentifiersIn, errors=(400, 401, 422))
def resolve() -> Any:
    body = load(IdentifiersIn(), json_body())
    return jsonify(items=resolve_identifiers(db.session(), body["items"]))


@route("/organizations/<id:org_id>/locations", "GET", "An organization's places", TAG, query=LocationQuery,
       errors=(401, 404))
def list_locations(org_id: int) -> Any:
    user = current_user()
    from trace.services.organizations.organizations import get_organization

    get_organization(db.session(), org_id)
    q = load_query(LocationQuery())
    return jsonify(items=[places.location_view(p)
                          for p in places.list_locations(db.session(), user, org_id, retired=q["retired"])])


@route("/organizations/<id:org_id>/locations", "POST", "Register a place of the organization (its producers, or "
       "an admin): warehouse, cold store, vehicle, stall or plot, GLN optional", TAG, body=LocationIn, status=201,
       errors=(401, 403, 404, 409, 422))
def add_location(org_id: int) -> Any:
    user = current_user()
    fields_ = load(LocationIn(), json_body())
    from trace.services.organizations.organizations import get_organization

    get_organization(db.session(), org_id)
    return created(places.location_view(places.add_location(db.session(), user, org_id, fields_)))


@route("/locations/<id:location_id>", "GET", "One place", TAG, errors=(401, 404))
def get_location(location_id: int) -> Any:
    current_user()
    return jsonify(places.location_view(places.get_location(db.session(), location_id)))


@route("/locations/<id:location_id>", "PATCH", "Change a place's kind, name, GLN or address", TAG,
       body=LocationChange, errors=(401, 403, 404, 409, 422))
def change_location(location_id: int) -> Any:
    user = current_user()
    fields_ = load(LocationChange(), json_body())
    return jsonify(places.location_view(places.update_location(db.session(), user, location_id, fields_)))


@route("/locations/<id:location_id>", "DELETE", "Retire a place (records naming it keep its name)", TAG,
       errors=(401, 403, 404))
def retire_location(location_id: int) -> Any:
    user = current_user()
    return jsonify(places.location_view(places.retire_location(db.session(), user, location_id)))
