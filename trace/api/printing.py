"""Printed codes: a batch's QR code, label sheets and 承诺达标合格证.

The QR images are public: they encode the batch's public lookup URL, which anyone holding the
trace code can already open, and web pages and print shops embed them without a token. They are
rate-limited per client address like the other public pages. Label sheets and certificates need
a token: they print the organization's name and contact, and issuing a certificate is a signed
statement by the producer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_babel import gettext as _

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.api.batches import parse_code
from trace.codes.labels import LabelCaptions
from trace.codes.qr import qr_png, qr_svg
from trace.db import db
from trace.extensions import limiter
from trace.schemas.printing import (
    CertificateIn,
    CertificateQuery,
    IssuedCertificateOut,
    LabelQuery,
    QrPngQuery,
    QrSvgQuery,
)
from trace.services.printing import printing as svc
from trace.services.records.batches import find_batch, read_batch

TAG = "Printing"
PDF = "application/pdf"
# A batch's URL only changes if its product's GTIN or the deployment's public URL does.
PUBLIC_CACHE = "public, max-age=86400"
PRIVATE_CACHE = "private, no-cache"


def _public_limit() -> str:
    return str(current_app.config["TRACE"].public_rate_limit)


def _public_url() -> str:
    return str(current_app.config["TRACE"].public_url)


def _conditional(etag: str, cache: str, weak: bool, render: Callable[[], bytes], mimetype: str,
                 filename: str) -> Response:
    """Return 304 when the client holds the current version, else render it; with validators either way."""
    response = Response(mimetype=mimetype)
    response.set_etag(hashlib.sha256(etag.encode()).hexdigest()[:32], weak=weak)
    response.headers["Cache-Control"] = cache
    if request.if_none_match.contains_weak(response.get_etag()[0] or ""):
        response.status_code = 304
        return response
    response.set_data(render())
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@route("/batches/<code>/qr.png", "GET", "The batch's QR code as a PNG: its GS1 Digital Link when the product "
       "has a GTIN, else its /T/ lookup URL (public, rate-limited; ?ec=M|Q, ?size= pixels a module, 1-40)", TAG,
       query=QrPngQuery, auth=False, produces="image/png", errors=(404, 422), limited=True)
@limiter.limit(_public_limit)
def batch_qr_png(code: str) -> Response:
    params = load_query(QrPngQuery())
    batch = find_batch(db.session(), parse_code(code))
    url = svc.batch_url(batch, _public_url())
    return _conditional(f"png|{url}|{params['ec']}|{params['size']}", PUBLIC_CACHE, False,
                        lambda: qr_png(url, box_size=params["size"], error_correction=params["ec"]),
                        "image/png", f"{batch.trace_code}.png")


@route("/batches/<code>/qr.svg", "GET", "The batch's QR code as SVG, 1 mm a module (public, rate-limited; "
       "?ec=M|Q)", TAG, query=QrSvgQuery, auth=False, produces="image/svg+xml", errors=(404, 422), limited=True)
@limiter.limit(_public_limit)
def batch_qr_svg(code: str) -> Response:
    params = load_query(QrSvgQuery())
    batch = find_batch(db.session(), parse_code(code))
    url = svc.batch_url(batch, _public_url())
    return _conditional(f"svg|{url}|{params['ec']}", PUBLIC_CACHE, False,
                        lambda: qr_svg(url, error_correction=params["ec"]).encode(),
                        "image/svg+xml", f"{batch.trace_code}.svg")


@route("/batches/<code>/labels.pdf", "GET", "Labels for a batch: QR code, product, trace code, lot, date, "
       "producer (?layout=a4-3x7|a4-2x7|thermal-50x30, ?count= 1-1000, default one sheet; ?ec=M|Q); with "
       "?run=<id>, one label per unit serial of that label run ([&start=&count=] for a part)", TAG,
       query=LabelQuery, produces=PDF, errors=(401, 403, 404, 422))
def batch_labels_pdf(code: str) -> Response:
    user = current_user()
    params = load_query(LabelQuery())
    batch = read_batch(db.session(), user, parse_code(code))
    if "run" in params:
        labels = svc.run_labels(db.session(), user, batch, _public_url(), params["run"], params.get("start", 0),
                                params.get("count"))
        name = f"labels-{batch.trace_code}-run{params['run']}-{params['layout']}.pdf"
    else:
        count = params.get("count") or svc.default_label_count(params["layout"])
        labels = svc.batch_labels(batch, _public_url(), count)
        name = f"labels-{batch.trace_code}-{params['layout']}.pdf"
    captions = label_captions()
    version = f"labels|{params['layout']}|{params['ec']}|{captions}|{len(labels)}|{labels[0]!r}|{labels[-1]!r}"
    response = _conditional(version, PRIVATE_CACHE, True,
                            lambda: svc.render_labels(labels, params["layout"], params["ec"], captions), PDF, name)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def label_captions() -> LabelCaptions:
    """Return a label's captions in the request's language (``?lang=``, the cookie, Accept-Language; Chinese)."""
    return LabelCaptions(trace_code=_("Trace code"), lot=_("Lot"), serial=_("Serial no."), harvested=_("Harvested"),
                         produced=_("Produced"), call=_("Scan to trace"), best_before=_("Best before"),
                         shelf_life=_("Shelf life until"))


@route("/batches/<code>/certificate", "POST", "Issue a 承诺达标合格证 for a batch: records a signed, logged "
       "certificate event (the producing organization, or an administrator issuing on its behalf); a retry "
       "with the same id returns the first issue", TAG, body=CertificateIn, response=IssuedCertificateOut,
       status=201, errors=(401, 403, 404, 409, 415, 422), replays=True)
def issue_certificate(code: str) -> Any:
    user = current_user()
    body = load(CertificateIn(), json_body())
    batch = find_batch(db.session(), parse_code(code))
    issued, new = svc.issue_certificate(db.session(), user, batch, body, ledger=ledger_config(),
                                        public_url=_public_url())
    pdf = f"/api/v1/batches/{batch.trace_code}/certificate.pdf?event={issued.event.id}"
    payload = IssuedCertificateOut().dump({"event": issued.event, "certificate": issued, "pdf": pdf})
    return created(payload, 201 if new else 200, Location=f"/api/v1/events/{issued.event.id}")


@route("/batches/<code>/certificate.pdf", "GET", "The batch's latest 承诺达标合格证 as a PDF, or the one "
       "?event= names: the A6 card, or with ?form=qr the 60 × 40 mm sticker headed 承诺达标合格证 around its QR "
       "code; 404 until one is issued (POST /batches/<code>/certificate)", TAG,
       query=CertificateQuery, produces=PDF, errors=(401, 403, 404, 422))
def batch_certificate_pdf(code: str) -> Response:
    user = current_user()
    params = load_query(CertificateQuery())
    batch = read_batch(db.session(), user, parse_code(code))
    event_id = str(params["event"]) if "event" in params else None
    issued = svc.certificate_view(svc.find_certificate(db.session(), batch, event_id), batch, _public_url())
    form = params["form"]
    return _conditional(f"certificate|{form}|{issued.fingerprint()}", PRIVATE_CACHE, True,
                        lambda: svc.render_certificate(issued, form), PDF, f"certificate-{batch.trace_code}.pdf")
