"""Producers' batches in the console: the list and search, registering a batch, a batch's timeline, and
recording a stage through a form generated from the stage and its category template.

Every write goes through the services the API calls (``register_batch``, ``record_event``): the
one recording pipeline signs and logs it. A refused form writes nothing and shows why beside the
fields. Each form carries a record id made when it was opened, so sending it twice records once.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaValidationError

from trace.console.blueprint import account, committing, console, roles_required
from trace.console.pages import add_nav, render
from trace.console.stage_form import (
    TIME_FIELD,
    FieldSpec,
    form_fields,
    local_time,
    payload_from,
    place_errors,
    say,
    unit_choices,
)
from trace.db import db
from trace.errors import TraceError
from trace.extensions import page_language
from trace.ledger.numbers import canonical_decimal
from trace.models import Batch, Organization, Product
from trace.models.organization import Role
from trace.schemas.batches import BatchIn
from trace.schemas.events import EventIn
from trace.services.organizations.permissions import can_read_batch
from trace.services.records import events as event_service
from trace.services.records.batches import batch_events, browse_batches, find_batch, register_batch
from trace.stages import STAGES, Stage, in_language, universal_stages
from trace.stages.test_request import LABORATORY_KIND
from trace.times import show_time

RECORDING_ROLES = (Role.PRODUCER, Role.ADMIN)
LAYOUT_NAMES = {"a4-3x7": _l("A4 sheet, 21 labels"), "a4-2x7": _l("A4 sheet, 14 labels"),
                "thermal-50x30": _l("Thermal printer, 50 × 30 mm")}
STATUS_NAMES = {"active": _l("Active"), "consumed": _l("Used up"), "recalled": _l("Recalled"),
                "destroyed": _l("Destroyed")}
PER_PAGE = 50

add_nav("console.batches", _l("Batches"), Role.PRODUCER, Role.ADMIN, Role.INSPECTOR)
add_nav("console.new_batch", _l("Register a batch"), Role.PRODUCER)


def ledger() -> Any:
    return current_app.extensions["trace.ledger"]


@console.get("/console/batches")
@roles_required(Role.PRODUCER, Role.ADMIN, Role.INSPECTOR)
def batches() -> Response:
    """List the batches the account may see, newest first; a trace code goes straight to its batch."""
    query = request.args.get("q", "").strip()[:100]
    if query:
        try:
            found = find_batch(db.session(), query)
        except TraceError:
            found = None
        if found is not None and can_read_batch(account().user, found):
            return redirect(url_for("console.batch", code=found.trace_code))  # type: ignore[return-value]
    page = _page_number(request.args.get("page", "1"))
    rows, more = browse_batches(db.session(), account().user,
                                {"page": page, "per_page": PER_PAGE, **({"product_name": query} if query else {})})
    return render("console/batches/list.html", rows=rows, more=more, page=page, query=query,
                  status_names=STATUS_NAMES, qty=canonical_decimal)


def _page_number(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        abort(404)
    return int(raw)


@console.route("/console/batches/new", methods=["GET", "POST"])
@roles_required(Role.PRODUCER)
def new_batch() -> Response:
    """Register a batch of one of the organization's products (its signed registration record follows)."""
    org = account().organization
    products = db.session.scalars(sa.select(Product).where(Product.organization_id == org.id)
                                  .order_by(Product.name)).all()
    form = request.form if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    top: list[str] = []
    if request.method == "POST":
        raw: dict[str, Any] = {"lot": form.get("lot", ""), "quantity": form.get("quantity", ""),
                               "uom": form.get("uom", "")}
        product = form.get("product", "")
        raw["product"] = int(product) if product.isascii() and product.isdigit() and len(product) < 12 else product
        if form.get("origin", "").strip():
            raw["origin"] = {"name": form["origin"]}
        if form.get("producedAt", "").strip():
            raw["producedAt"] = local_time(form["producedAt"]) or form["producedAt"]
        try:
            with committing():
                fields = BatchIn().load(raw)
                batch = register_batch(db.session(), account().user, fields, ledger=ledger())
        except SchemaValidationError as exc:
            errors = _field_messages(exc.messages)
        except TraceError as exc:
            errors = _field_messages(exc.errors or {})
            top = [] if errors else [str(exc)]
        else:
            return redirect(url_for("console.batch", code=batch.trace_code))  # type: ignore[return-value]
    return render("console/batches/new.html", products=products, form=form, errors=errors, top=top,
                  units=_units(), status=422 if errors or top else 200)


def _field_messages(messages: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (messages or {}).items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                out.setdefault(f"{key}.{sub}" if key != "origin" else "origin", []).extend(
                    say(str(m)) for m in (inner if isinstance(inner, list) else [inner]))
        else:
            out.setdefault(key, []).extend(say(str(m)) for m in (value if isinstance(value, list) else [value]))
    return out


def _units() -> list[tuple[str, str]]:
    return list(unit_choices(page_language()))


@console.get("/console/batches/<code>")
@roles_required(Role.PRODUCER, Role.ADMIN, Role.INSPECTOR)
def batch(code: str) -> Response:
    """A batch's facts and timeline, with the stages the account may record next."""
    found = readable_batch(code)
    events = batch_events(db.session(), found)
    lang = page_language()
    names = dict(db.session.execute(sa.select(Organization.id, Organization.name).where(
        Organization.id.in_({e.organization_id for e in events}))).all())
    timeline = [{"stage": in_language(STAGES[e.stage].label, lang) if e.stage in STAGES else e.stage,
                 "when": show_time(e.occurred_at), "by": names.get(e.organization_id, ""),
                 "details": _details(STAGES.get(e.stage), e.data, lang), "id": e.id} for e in events]
    return render("console/batches/batch.html", batch=found, timeline=timeline, status_names=STATUS_NAMES,
                  qty=canonical_decimal, layouts=[(k, str(v)) for k, v in LAYOUT_NAMES.items()],
                  prints=account().has(Role.PRODUCER, Role.ADMIN),
                  recalls_here=found.status == "active" and (account().has(Role.INSPECTOR) or (
                      account().has(Role.PRODUCER) and found.organization_id == account().organization.id)),
                  stages=[(s.name, in_language(s.label, lang)) for s in recordable(found)],
                  lookup_url=url_for("lookup.by_code", code=found.trace_code) if _has_lookup() else None)


def _has_lookup() -> bool:
    return "lookup.by_code" in current_app.view_functions


def _details(stage: Stage | None, data: Any, lang: str) -> list[tuple[str, str]]:
    if stage is None or not isinstance(data, dict):
        return []
    shown = []
    for key, value in data.items():
        if isinstance(value, dict | list) or key in ("templates",):
            continue
        label = stage.labels.get(key)
        names = stage.values.get(key, {})
        text = names.get(str(value), value)
        shown.append((in_language(label, lang) if label is not None else key,
                      in_language(text, lang) if not isinstance(text, str) else text))
    for key, value in (data.get("extra") or {}).items():
        shown.append((key, str(value)))
    return shown


def readable_batch(code: str) -> Batch:
    if len(code) > 40:
        abort(404)
    found = find_batch(db.session(), code)
    if not can_read_batch(account().user, found):
        abort(404)
    return found


def recordable(found: Batch) -> list[Stage]:
    """Return the stages the account may record on a batch through the generic form, in life order."""
    if not account().has(*RECORDING_ROLES) or found.status != "active":
        return []
    mine = account().organization.id
    if account().role == Role.PRODUCER and mine not in (found.organization_id, found.custodian_id):
        return []
    listed = {step["stage"] for step in found.product.category.current_template.stages} | universal_stages()
    return [s for s in STAGES.values() if s.name in listed and s.producers_record and not s.service_only
            and not s.transformation_only and not s.recalls and s.schema is not None]


@console.route("/console/batches/<code>/record/<stage_name>", methods=["GET", "POST"])
@roles_required(*RECORDING_ROLES)
def record(code: str, stage_name: str) -> Response:
    """Record a stage of a batch through its generated form (GET shows it, POST records it)."""
    found = readable_batch(code)
    stage = next((s for s in recordable(found) if s.name == stage_name), None)
    if stage is None:
        abort(404)
    lang = page_language()
    step = found.product.category.current_template.step(stage.name) or {}
    specs = form_fields(stage, list(step.get("fields", [])), _organizations(stage), lang)
    required = set(step.get("requires", []))
    specs = [FieldSpec(**{**s.__dict__, "required": True}) if s.key[5:] in required and s.key.startswith("data.")
             else s for s in specs]
    form = request.form if request.method == "POST" else {}
    top: list[str] = []
    time_errors: list[str] = []
    if request.method == "POST":
        top, time_errors, done = _record_posted(found, stage, specs, form)
        if done:
            return redirect(url_for("console.batch", code=found.trace_code))  # type: ignore[return-value]
    return render("console/batches/record.html", batch=found, stage=stage, stage_label=in_language(stage.label, lang),
                  specs=specs, form=form, top=top, time_errors=time_errors,
                  record_id=form.get("record_id") or str(uuid.uuid4()),
                  status=422 if top or time_errors or any(s.errors for s in specs) else 200)


def _record_posted(found: Batch, stage: Stage, specs: list[FieldSpec],
                   form: Any) -> tuple[list[str], list[str], bool]:
    data, _extra = payload_from(form, specs)
    raw: dict[str, Any] = {"id": form.get("record_id", ""), "stage": stage.name, "batches": [found.trace_code],
                           "occurredAt": local_time(form.get(TIME_FIELD, "")) or form.get(TIME_FIELD, ""),
                           "data": data}
    if form.get("place", "").strip():
        raw["location"] = {"name": form["place"]}
    try:
        with committing():
            payload = EventIn().load(raw)
            event_service.record_event(db.session(), account().user, payload, ledger=ledger())
    except SchemaValidationError as exc:  # the stage's own fields too, so every mistake shows at once
        data_errors = stage.schema().validate({k: v for k, v in data.items() if k != "extra"})
        messages: dict[str, Any] = dict(exc.messages) if isinstance(exc.messages, dict) else {"_": exc.messages}
        if data_errors:
            messages["data"] = data_errors
        return _split(messages, specs), list(_time_errors(messages)), False
    except TraceError as exc:
        rest = place_errors(exc.errors, specs) if exc.errors else []
        return (rest or ([] if any(s.errors for s in specs) else [str(exc)])), [], False
    return [], [], True


def _split(messages: Any, specs: list[FieldSpec]) -> list[str]:
    return place_errors({k: v for k, v in messages.items() if k != TIME_FIELD}, specs)


def _time_errors(messages: Any) -> list[str]:
    found = messages.get(TIME_FIELD) or []
    if found and not request.form.get(TIME_FIELD, "").strip():
        return [_("This field is required.")]
    return [say(str(m)) for m in found]


def _organizations(stage: Stage) -> list[tuple[int, str]]:
    """Return the organizations a stage's other party may be: laboratories for a test request, else any other."""
    query = sa.select(Organization.id, Organization.name).where(Organization.id != account().organization.id)
    if stage.party_field == "laboratory":
        query = query.where(Organization.kind == LABORATORY_KIND)
    rows = db.session.execute(query.order_by(Organization.name)).all()
    return [(row.id, row.name) for row in rows]

