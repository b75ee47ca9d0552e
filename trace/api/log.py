"""The transparency log over HTTP (DESIGN.md §6), keys, and audit bundles."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields, validate

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.api.batches import parse_code
from trace.db import db
from trace.errors import PermissionDeniedError
from trace.models.organization import Role
from trace.services.audit import bundles
from trace.services.records.batches import read_batch
from trace.services.signing import key_admin
from trace.services.signing import keys as key_svc
from trace.services.signing import log as svc

TAG = "Log"


class RangeQuery(Schema):
    start = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class InclusionQuery(Schema):
    index = fields.Integer(required=True, validate=validate.Range(min=0))
    size = fields.Integer(required=True, validate=validate.Range(min=1))


class ConsistencyQuery(Schema):
    old = fields.Integer(required=True, validate=validate.Range(min=1))
    new = fields.Integer(required=True, validate=validate.Range(min=1))


class BundleQuery(Schema):
    since = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**62),
                           metadata={"description": "Size of a checkpoint you kept: the bundle adds a consistency "
                                                    "proof from it."})


class KeyRevocationIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in items]


def _text(body: str) -> Response:
    return Response(body, mimetype="text/plain", headers={"Cache-Control": "no-cache"})


@route("/log/checkpoint", "GET", "The latest signed checkpoint (C2SP signed note)", TAG, auth=False,
       produces="text/plain")
def checkpoint() -> Any:
    return _text(svc.latest_checkpoint(db.session()).note)


@route("/log/keys", "GET", "Every key with its validity: log, organization and device keys", TAG, auth=False)
def list_keys() -> Any:
    return jsonify([key_svc.key_view(k) for k in key_svc.published_keys(db.session())])


@route("/log/entries/<int:index>", "GET", "One log entry: its leaf bytes and leaf hash", TAG, auth=False,
       errors=(404,))
def entry(index: int) -> Any:
    return jsonify(svc.entry_view(svc.get_entry(db.session(), index)))


@route("/log/entries", "GET", "A range of log entries (?start=&limit=)", TAG, auth=False, query=RangeQuery)
def entries() -> Any:
    q = load_query(RangeQuery())
    from trace.models import LogEntry

    rows = db.session.scalars(
        db.select(LogEntry).where(LogEntry.index >= q["start"]).order_by(LogEntry.index).limit(q["limit"])
    )
    return jsonify(items=[svc.entry_view(e) for e in rows], size=svc.log_size(db.session()))


@route("/log/proof/inclusion", "GET", "Inclusion proof of entry ?index= in the tree of ?size=", TAG,
       auth=False, query=InclusionQuery, errors=(422,))
def inclusion_proof() -> Any:
    q = load_query(InclusionQuery())
    return jsonify(index=q["index"], size=q["size"], proof=_b64(svc.inclusion(db.session(), q["index"], q["size"])))


@route("/log/proof/consistency", "GET", "Consistency proof between tree sizes ?old= and ?new=", TAG,
       auth=False, query=ConsistencyQuery, errors=(422,))
def consistency_proof() -> Any:
    q = load_query(ConsistencyQuery())
    return jsonify(old=q["old"], new=q["new"], proof=_b64(svc.consistency(db.session(), q["old"], q["new"])))


@route("/events/<uuid:event_id>/tlog-proof", "GET", "C2SP tlog-proof of an event's record", TAG,
       auth=False, produces="text/plain", errors=(404,))
def event_tlog_proof(event_id: Any) -> Any:
    return _text(svc.tlog_proof(db.session(), str(event_id)))


@route("/batches/<code>/audit-bundle", "GET", "Everything an inspector needs to verify a batch offline", TAG,
       query=BundleQuery, errors=(401, 403, 404, 422))
def audit_bundle(code: str) -> Any:
    user = current_user()
    q = load_query(BundleQuery())
    batch = read_batch(db.session(), user, parse_code(code))
    bundle = bundles.audit_bundle(db.session(), ledger_config(), batch, since=q["since"])
    return Response(json.dumps(bundle, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="audit-{batch.trace_code}.json"'})


@route("/organizations/<id:org_id>/keys/rotate", "POST", "Rotate an organization's signing key "
       "(a producer of it, or an admin)", TAG, status=201, errors=(401, 403, 404))
def rotate_key(org_id: int) -> Any:
    user = current_user()
    if user.role != Role.ADMIN and not (user.role == Role.PRODUCER and user.organization_id == org_id):
        raise PermissionDeniedError("Only the organization's producers or an admin rotate its key.")
    from trace.services.organizations.organizations import get_organization

    get_organization(db.session(), org_id)
    key = key_admin.rotate_organization_key(db.session(), ledger_config(), org_id)
    return created(key_svc.key_view(key))


@route("/log/keys/<key_id>/revoke", "POST", "Revoke a key (an admin, or a producer for its own "
       "organization's keys)", TAG, body=KeyRevocationIn, errors=(401, 403, 404, 422))
def revoke_key(key_id: str) -> Any:
    user = current_user()
    fields_ = load(KeyRevocationIn(), json_body())
    from trace.models import SigningKey

    key = db.session.scalar(db.select(SigningKey).where(SigningKey.key_id == key_id))
    if key is not None and user.role != Role.ADMIN and not (
        user.role == Role.PRODUCER and user.organization_id == key.organization_id
    ):
        raise PermissionDeniedError("You may revoke only your own organization's keys.")
    return jsonify(key_svc.key_view(key_admin.revoke_key(db.session(), ledger_config(), key_id, fields_["reason"])))
