"""Public lookup pages for consumers: /t/<code>, /T/<code> and GS1 Digital Link paths (DESIGN.md §8).

No JavaScript, no external requests, Chinese by default with English on request; the same
content as JSON for ``Accept: application/json``.
"""

from __future__ import annotations

from flask import Blueprint, Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from trace.cache import LruCache
from trace.errors import TraceError
from trace.lookup.pages import PageError, error_response, page_error, wanted_format
from trace.services.audit.verification import VerificationCache

lookup = Blueprint("lookup", __name__)
lookup.record_once(lambda state: state.app.extensions.update({
    "trace.verification": VerificationCache(), "trace.lookup_views": LruCache(size=1024)}))

_HTTP_MESSAGES = {404: (_l("Code not found"), _l("Enter the 13-character trace code on the label.")),
                  429: (_l("Too many requests"), _l("Please try again in a minute."))}


@lookup.errorhandler(TraceError)
def _domain_error(err: TraceError) -> Response:
    if isinstance(err, PageError):
        return page_error(err)
    title = _("Code not found") if err.status == 404 else _("Something went wrong")
    detail = _("Please try again later.") if wanted_format() == "html" else err.detail  # the detail is the API's
    return error_response(err.status, err.slug, title, detail)


@lookup.errorhandler(HTTPException)
def http_error(err: HTTPException) -> Response:
    status = err.code or 500
    title, detail = _HTTP_MESSAGES.get(status, (_l("Something went wrong"), _l("Please try again later.")))
    slug = (err.name or "error").lower().replace(" ", "-")
    return error_response(status, slug, str(title), str(detail))

