"""Printing from the console: a batch's labels and its 承诺达标合格证 (issued through the printing service,
which records it through the one pipeline), as the API prints them, for the signed-in organization."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaValidationError

from trace.api.printing import label_captions
from trace.codes.labels import LAYOUTS
from trace.console.batches import readable_batch
from trace.console.blueprint import account, committing, console, roles_required
from trace.console.pages import render
from trace.console.stage_form import say
from trace.db import db
from trace.errors import TraceError
from trace.models.organization import Role
from trace.schemas.printing import BASIS_CODES, CertificateIn
from trace.services.printing import printing as svc

BASIS_NAMES = {"commissioned_test": _l("Commissioned test"), "self_test": _l("Self-test"),
               "quality_control": _l("Quality control")}
PDF = "application/pdf"


def public_url() -> str:
    return str(current_app.config["TRACE"].public_url)


def _pdf(body: bytes, name: str) -> Response:
    response = Response(body, mimetype=PDF)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@console.get("/console/batches/<code>/labels.pdf")
@roles_required(Role.PRODUCER, Role.ADMIN, Role.INSPECTOR)
def labels_pdf(code: str) -> Response:
    """One sheet (or roll) of labels for the batch, in the page's language."""
    found = readable_batch(code)
    layout = request.args.get("layout", "a4-3x7")
    if layout not in LAYOUTS:
        abort(404)
    labels = svc.batch_labels(found, public_url(), svc.default_label_count(layout))
    return _pdf(svc.render_labels(labels, layout, "M", label_captions()), f"labels-{found.trace_code}-{layout}.pdf")


@console.get("/console/batches/<code>/certificate.pdf")
@roles_required(Role.PRODUCER, Role.ADMIN, Role.INSPECTOR)
def certificate_pdf(code: str) -> Response:
    """The batch's latest 承诺达标合格证 (404 until one is issued)."""
    found = readable_batch(code)
    issued = svc.certificate_view(svc.find_certificate(db.session(), found, None), found, public_url())
    return _pdf(svc.render_certificate(issued), f"certificate-{found.trace_code}.pdf")


@console.route("/console/batches/<code>/certificate", methods=["GET", "POST"])
@roles_required(Role.PRODUCER, Role.ADMIN)
def certificate(code: str) -> Response:
    """Issue a 承诺达标合格证: its basis, and the quantity and contact when they differ from the batch's."""
    found = readable_batch(code)
    form = request.form if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    top: list[str] = []
    if request.method == "POST":
        raw: dict[str, Any] = {"id": form.get("record_id", ""), "basis": form.getlist("basis")}  # type: ignore[attr-defined]
        for key in ("quantity", "contact"):
            if form.get(key, "").strip():
                raw[key] = form[key].strip()
        try:
            with committing():
                fields = CertificateIn().load(raw)
                svc.issue_certificate(db.session(), account().user, found, fields,
                                      ledger=current_app.extensions["trace.ledger"], public_url=public_url())
        except SchemaValidationError as exc:
            errors = {k: [say(str(m)) for m in (v if isinstance(v, list) else [v])]
                      for k, v in (exc.messages if isinstance(exc.messages, dict) else {}).items()}
        except TraceError as exc:
            top = [str(exc)]
        else:
            return redirect(url_for("console.batch", code=found.trace_code) + "#print")  # type: ignore[return-value]
    return render("console/batches/certificate.html", batch=found, form=form, errors=errors, top=top,
                  bases=[(c, str(BASIS_NAMES[c])) for c in BASIS_CODES],
                  chosen=form.getlist("basis") if form else [],  # type: ignore[attr-defined]
                  record_id=form.get("record_id") or str(uuid.uuid4()), status=422 if errors or top else 200)

