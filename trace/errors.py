"""One error hierarchy, mapped in one place to RFC 9457 problem+json (API) or HTML (pages)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, json, render_template, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from trace.extensions import HTML_LANG, page_language

PROBLEM_JSON = "application/problem+json"


class TraceError(Exception):
    """Base of every domain error; carries an HTTP status and a problem type slug."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class ValidationError(TraceError):
    status = 422
    slug = "validation"
    title = "The request has invalid fields"


class MalformedRequestError(TraceError):
    status = 400
    slug = "malformed-request"
    title = "The request body cannot be read"


class AuthenticationError(TraceError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class PermissionDeniedError(TraceError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFoundError(TraceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class ConflictError(TraceError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class PayloadTooLargeError(TraceError):
    status = 413
    slug = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaTypeError(TraceError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class SignatureError(ValidationError):
    slug = "bad-signature"
    title = "A signature is not valid"


class QuantityError(ValidationError):
    slug = "insufficient-quantity"
    title = "Not enough quantity available"


_SAME_AS_HTTP: dict[int, type[TraceError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
}


def problem(
    status: int, slug: str, title: str, detail: str, *, errors: Any = None, **extra: Any
) -> Response:
    """Return an RFC 9457 problem response."""
    body: dict[str, Any] = {
        "type": f"https://suyuan.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="suyuan"'
    return response


# What an HTML error page says, by status, in the viewer's language (problem+json keeps the API's English).
_PAGE_TEXT: dict[int, tuple[LazyString, LazyString]] = {
    400: (_l("Bad request"), _l("The address or the form cannot be read.")),
    401: (_l("Sign-in required"), _l("This page is for signed-in users.")),
    403: (_l("Not allowed"), _l("You may not open this page.")),
    404: (_l("Not found"), _l("Nothing is at this address. Check the link, or look up a trace code.")),
    405: (_l("Not allowed"), _l("This address does not answer that kind of request.")),
    409: (_l("Conflict"), _l("The request conflicts with the current state; reload and try again.")),
    410: (_l("Gone"), _l("What was here has been removed for good.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    415: (_l("Unsupported format"), _l("What was sent is in a format this address does not take.")),
    422: (_l("Not valid"), _l("Some of what was sent is not valid.")),
    429: (_l("Too many requests"), _l("Please try again in a minute.")),
    503: (_l("Temporarily unavailable"), _l("The service cannot store or read data just now. Please try again in a "
                                            "minute.")),
}
_PAGE_FALLBACK = (_l("Something went wrong"), _l("Please try again later."))


def _wants_html() -> bool:
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best == "text/html"


def _render(status: int, slug: str, title: str, detail: str, **kw: Any) -> Response:
    if _wants_html():
        page_title, page_detail = _PAGE_TEXT.get(status, _PAGE_FALLBACK)
        html = render_template("error.html", status=status, title=page_title, detail=page_detail,
                               lang=HTML_LANG[page_language()])
        response = Response(html, status=status, mimetype="text/html")
        response.headers["Vary"] = "Accept, Accept-Language, Cookie"
        return response
    return problem(status, slug, title, detail, **kw)


def database_unavailable(err: sa.exc.DBAPIError) -> bool:
    """Tell whether a database error means "not now" (down, full, read-only, busy) rather than a bug.

    SQLite reports a full disk, a read-only file and a held lock as OperationalError; PostgreSQL's
    SQLSTATE classes 08 (connection), 53 (insufficient resources: disk full), 57P (shut down) and
    25006 (read-only transaction) say the same.
    """
    if isinstance(err, sa.exc.OperationalError) or err.connection_invalidated:
        return True
    state = getattr(err.orig, "sqlstate", None) or ""
    return state.startswith(("08", "53", "57P")) or state == "25006"


def register_error_handlers(app: Flask) -> None:
    """Map domain and HTTP errors to problem+json or HTML."""

    @app.errorhandler(TraceError)
    def _domain(err: TraceError) -> Response:
        return _render(err.status, err.slug, err.title, err.detail, errors=err.errors, **err.extra)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        own = _SAME_AS_HTTP.get(status)  # one problem type per condition, whoever detects it
        slug = own.slug if own else (err.name or "error").lower().replace(" ", "-")
        title = own.title if own else err.name or "Error"
        response = _render(status, slug, title, err.description or "")
        if status == 405 and err.response is None:
            valid = getattr(err, "valid_methods", None)
            if valid:
                response.headers["Allow"] = ", ".join(valid)
        return response

    @app.errorhandler(sa.exc.DBAPIError)
    def _database(err: sa.exc.DBAPIError) -> Response:
        if not database_unavailable(err):
            return _unexpected(err)
        from trace.db import db

        try:
            db.session.rollback()  # nothing half-written: the transaction is gone with the error
        except sa.exc.SQLAlchemyError:
            pass
        app.logger.warning("database unavailable: %s", err.orig)
        response = _render(503, "database-unavailable", "Database unavailable",
                           "The database cannot take this request now (stopped, full or read-only); nothing was "
                           "written. Retry later.")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=err)
        return _render(500, "internal", "Internal error", "The server failed; the error is logged.")
