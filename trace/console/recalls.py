"""Recalls in the console: opening one from a batch, the holders' work list and their answers, and the
inspectors' view of who has answered; closing a recall.

Opening and closing record signed recall records through the recall service (the one pipeline);
answers are kept by ``services/lineage/acknowledgements.py``.
"""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from trace.console.batches import readable_batch
from trace.console.blueprint import account, committing, console, forbidden, login_required, roles_required
from trace.console.pages import add_nav, render
from trace.db import db
from trace.errors import PermissionDeniedError, TraceError
from trace.models.organization import Role
from trace.services.lineage import acknowledgements as acks
from trace.services.lineage import recalls as svc
from trace.services.signing.keys import LedgerConfig
from trace.times import show_time

ACTION_NAMES = {"returned": _l("Returned"), "destroyed": _l("Destroyed"), "not_held": _l("Not held")}
RELATION_NAMES = {"custodian": _l("Holds it"), "recipient": _l("Was shipped it"), "received": _l("Received it")}
REASON_LENGTH = 1000

add_nav("console.recalls", _l("Recalls"), Role.PRODUCER, Role.STATION, Role.INSPECTOR, Role.ADMIN)


def _ledger() -> LedgerConfig:
    return current_app.extensions["trace.ledger"]  # type: ignore[no-any-return]


@console.get("/console/recalls")
@login_required
def recalls() -> Response:
    """Holders: the open recalls reaching their stock, to answer. Inspectors and admins: every recall."""
    if account().has(Role.INSPECTOR, Role.ADMIN):
        listed = svc.list_recalls(db.session(), account().user, None)
        rows = []
        for recall in listed:
            lines = acks.recall_holders(db.session(), recall)
            rows.append({"recall": recall, "opened": show_time(recall.opened_at), "holders": len(lines),
                         "answered": sum(1 for line in lines if line.answer is not None)})
        return render("console/recalls/list.html", rows=rows)
    if not account().has(Role.PRODUCER, Role.STATION):
        return forbidden()
    work = acks.work_list(db.session(), account().user)
    return render("console/recalls/work.html", work=work, actions=ACTION_NAMES, relations=RELATION_NAMES,
                  show_time=show_time)


@console.get("/console/recalls/<int:recall_id>")
@roles_required(Role.INSPECTOR, Role.ADMIN, Role.PRODUCER)
def recall(recall_id: int) -> Response:
    """A recall's holders and their answers (inspectors, admins, the organization that opened it)."""
    try:
        found = svc.get_recall(db.session(), account().user, recall_id)
    except TraceError:
        abort(404)
    if account().has(Role.PRODUCER) and found.organization_id != account().organization.id:
        abort(404)
    lines = acks.recall_holders(db.session(), found)
    return render("console/recalls/recall.html", recall=found, lines=lines, actions=ACTION_NAMES,
                  relations=RELATION_NAMES, show_time=show_time, errors=[])


@console.post("/console/recalls/<int:recall_id>/answer")
@roles_required(Role.PRODUCER, Role.STATION)
def answer(recall_id: int) -> Response:
    """A holder answers for one batch: returned, destroyed or not held (with a note)."""
    raw_batch = request.form.get("batch", "")
    if not (raw_batch.isascii() and raw_batch.isdigit() and len(raw_batch) < 12):
        abort(404)
    note = request.form.get("note", "").strip() or None
    try:
        with committing():
            acks.acknowledge(db.session(), account().user, recall_id, int(raw_batch),
                             request.form.get("action", ""), note)
    except PermissionDeniedError:
        return forbidden()
    except TraceError as exc:
        return render("console/message.html", status=422 if exc.status == 422 else exc.status,
                      title=_l("Not recorded"), detail=str(exc), again=url_for("console.recalls"))
    return redirect(url_for("console.recalls"))  # type: ignore[return-value]


@console.post("/console/batches/<code>/recall")
@roles_required(Role.INSPECTOR, Role.PRODUCER)
def open_recall(code: str) -> Response:
    """Recall a batch and everything made from it (an inspector, or the batch's producer)."""
    found = readable_batch(code)
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > REASON_LENGTH:
        return render("console/message.html", status=422, title=_l("Not recorded"),
                      detail=_l("Give the reason for the recall (at most 1,000 characters)."),
                      again=url_for("console.batch", code=found.trace_code))
    try:
        with committing():
            opened = svc.open_recall(db.session(), account().user, found, reason, ledger=_ledger())
    except PermissionDeniedError:
        return forbidden()
    return redirect(url_for("console.recall", recall_id=opened.id))  # type: ignore[return-value]


@console.post("/console/recalls/<int:recall_id>/close")
@roles_required(Role.INSPECTOR, Role.PRODUCER)
def close(recall_id: int) -> Response:
    """Close a recall with a note (an inspector, or the organization that opened it)."""
    note = request.form.get("note", "").strip()
    if not note or len(note) > REASON_LENGTH:
        return render("console/message.html", status=422, title=_l("Not recorded"),
                      detail=_l("Say why the recall is closed (at most 1,000 characters)."),
                      again=url_for("console.recall", recall_id=recall_id))
    try:
        with committing():
            svc.close_recall(db.session(), account().user, recall_id, note, ledger=_ledger())
    except PermissionDeniedError:
        return forbidden()
    return redirect(url_for("console.recall", recall_id=recall_id))  # type: ignore[return-value]

