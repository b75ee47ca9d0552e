"""Feedback from the lookup page: a plain HTML form, signed token, same-origin check, tight rate limit."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, redirect, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE
from marshmallow import ValidationError as SchemaValidationError
from werkzeug.exceptions import HTTPException

from trace.db import db, writing
from trace.extensions import limiter, page_language
from trace.lookup.blueprint import http_error, lookup
from trace.lookup.forms import FormTokenError, form_token, open_form_token
from trace.lookup.pages import PageError, config, feedback_limit, public_limit, render_page, wanted_format
from trace.lookup.views import Target, parse_code, resolve_code
from trace.schemas.feedback import FeedbackForm
from trace.services.printing.labels import peek_unit
from trace.services.public import lookup as lookup_svc
from trace.services.public.feedback import submit_feedback


def _field_message(name: str, form: dict[str, str]) -> LazyString:
    """Return the message shown next to a refused field."""
    if name == "rating":
        return _l("Choose 1 to 5 stars")
    if name == "text" and not form.get("text", "").strip():
        return _l("Say what is wrong")
    return _l("Not valid")


def _secret() -> str:
    return str(current_app.secret_key or "")


def _same_origin() -> bool:
    """Tell whether the form was sent from our own pages (browsers send Origin with every POST)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # old browsers; the signed token still has to match
    ours = {f"{request.scheme}://{request.host}", _origin_of(config().public_url)}
    return origin in ours


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _form_page(target: Target, status: int, *, notice: str | None = None, form: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, sent: bool = False) -> Response:
    batch = lookup_svc.find_batch_by_id(db.session(), target.batch_id)
    assert batch is not None
    name = (batch.product.name_en or batch.product.name) if page_language() == "en" else batch.product.name
    response = render_page(
        "lookup/message.html", status=status, title=_("Feedback"), detail=notice, product=name, code=target.code,
        sent=sent, feedback_form=True, token=form_token(_secret(), target.code), form=form or {},
        errors=errors or {},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@lookup.post("/t/<code>/feedback")
@lookup.post("/T/<code>/feedback")
@limiter.limit(feedback_limit)
def send_feedback(code: str) -> Response:
    lang = page_language()
    target = resolve_code(parse_code(code))
    if not _same_origin():
        raise PageError(403, "forbidden", _l("Feedback can only be sent from this site's pages."),
                        _l("Something went wrong"))
    form = request.form.to_dict()
    try:
        nonce = open_form_token(_secret(), form.get("token", ""), target.code)
    except FormTokenError:
        return _form_page(target, 400, notice=_("The form has expired or is not valid; please fill it in again."),
                          form=form)
    try:
        fields = FeedbackForm(unknown=EXCLUDE).load(form)
    except SchemaValidationError as exc:
        messages = exc.normalized_messages()
        errors = {name: str(_field_message(name, form)) for name in messages}
        return _form_page(target, 422, notice=_("Please check the form."), form=form, errors=errors)
    unit_id = None
    if target.serial is not None:
        unit = peek_unit(db.session(), target.serial)
        unit_id = unit.id if unit else None
    batch = lookup_svc.find_batch_by_id(db.session(), target.batch_id)
    assert batch is not None
    db.session.rollback()  # end the read transaction: the write begins its own
    with writing():
        submit_feedback(db.session(), batch, unit_id, fields, nonce=nonce, lang=lang)
        db.session.commit()
    return redirect(f"/T/{target.code}/feedback?sent=1&lang={lang}", 303)  # type: ignore[return-value]


@lookup.get("/t/<code>/feedback")
@lookup.get("/T/<code>/feedback")
@limiter.limit(public_limit)
def feedback_page(code: str) -> Response:
    """The feedback form on its own page; after sending, with a thank-you above it."""
    target = resolve_code(parse_code(code))
    sent = request.args.get("sent") == "1"
    thanks = _("Thank you! The producer and the inspectors will see your feedback.") if sent else None
    return _form_page(target, 200, notice=thanks, sent=sent)


@lookup.errorhandler(429)
def _too_many(err: HTTPException) -> Response:
    """A feedback form sent too often: say so, keep what was typed, offer a way back; other pages say the usual."""
    if request.endpoint != "lookup.send_feedback" or wanted_format() != "html":
        return http_error(err)
    try:
        target = resolve_code(parse_code(str((request.view_args or {}).get("code", ""))))
    except PageError:
        return http_error(err)
    form = {k: v for k, v in request.form.to_dict().items() if k in ("kind", "rating", "text", "contact")}
    notice = _("You have sent feedback several times in a short while. Please wait a few minutes and send it "
               "again; what you typed is kept below.")
    response = _form_page(target, 429, notice=notice, form=form)
    response.headers["Retry-After"] = "60"
    return response
