"""Public lookup pages for consumers: /t/<code>, /T/<code> and GS1 Digital Link paths (DESIGN.md §8).

No JavaScript, no external requests, Chinese by default with English on request; the same
content as JSON for ``Accept: application/json``.
"""

from __future__ import annotations

from flask import Blueprint, Response
from werkzeug.exceptions import HTTPException

from trace.cache import LruCache
from trace.errors import TraceError
from trace.lookup.pages import PageError, error_response, page_error, translator
from trace.services.audit.verification import VerificationCache

lookup = Blueprint("lookup", __name__)
lookup.record_once(lambda state: state.app.extensions.update({
    "trace.verification": VerificationCache(), "trace.lookup_views": LruCache(size=1024)}))

_HTTP_MESSAGES = {404: ("unknown_title", "lookup_prompt"), 429: ("busy_title", "busy_detail")}


@lookup.errorhandler(TraceError)
def _domain_error(err: TraceError) -> Response:
    if isinstance(err, PageError):
        return page_error(err)
    t = translator()
    title = t("unknown_title") if err.status == 404 else t("error_title")
    return error_response(err.status, err.slug, title, err.detail)


@lookup.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    t = translator()
    title_key, detail_key = _HTTP_MESSAGES.get(status, ("error_title", "error_detail"))
    slug = (err.name or "error").lower().replace(" ", "-")
    return error_response(status, slug, t(title_key), t(detail_key))

