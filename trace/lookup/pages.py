"""What every public page shares: its language, format negotiation, inline CSS with its CSP hash, errors, limits."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import LazyString

from trace.cache import LruCache
from trace.config import REPO_ROOT, Config
from trace.errors import TraceError, problem
from trace.extensions import HTML_LANG, LANGUAGES, page_language
from trace.lookup.resolver import LINKSET_MIME
from trace.services.audit.verification import VerificationCache

CSS_PATH = REPO_ROOT / "static" / "css" / "lookup.css"
JSON_MIME = "application/json"
# Each language by its own name (the switch link names the other language in that language).
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
VARY = "Accept, Accept-Language, Cookie"  # the format, and the language (?lang= is in the URL; then a cookie)


class PageError(TraceError):
    """A public page's error: an HTTP status, a title and a message, translated when shown."""

    def __init__(self, status: int, slug: str, detail: LazyString, title: LazyString) -> None:
        super().__init__(slug)
        self.status, self.slug, self.page_detail, self.page_title = status, slug, detail, title


def config() -> Config:
    return current_app.config["TRACE"]  # type: ignore[no-any-return]


def public_limit() -> str:
    """Return the rate limit of lookups per client address."""
    return config().public_rate_limit


def feedback_limit() -> str:
    """Return the (tighter) rate limit of feedback submissions per client address."""
    return config().feedback_rate_limit


def photo_limit() -> str:
    """Return the rate limit of photo requests per client address (a page shows a few)."""
    return config().photo_rate_limit


def verification_cache() -> VerificationCache:
    return current_app.extensions["trace.verification"]  # type: ignore[no-any-return]


def view_cache() -> LruCache[Any]:
    return current_app.extensions["trace.lookup_views"]  # type: ignore[no-any-return]


def wanted_format() -> str:
    """Return ``html``, ``json`` or ``linkset`` from the Accept header (HTML for browsers and ``*/*``)."""
    best = request.accept_mimetypes.best_match(["text/html", JSON_MIME, LINKSET_MIME], default="text/html")
    return {JSON_MIME: "json", LINKSET_MIME: "linkset"}.get(best, "html")


@cache
def inline_css() -> tuple[str, str]:
    """Return the page CSS (from static/) to inline, and its CSP source expression."""
    text = CSS_PATH.read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"'sha256-{digest}'"


@cache
def page_csp() -> str:
    """Return the Content-Security-Policy of the public pages: no scripts, only our inline CSS."""
    return (f"default-src 'none'; style-src {inline_css()[1]}; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def render_html(template: str, **context: Any) -> str:
    """Render a public page's HTML in the request's language, with the inline CSS."""
    lang = page_language()
    other = next(other for other in LANGUAGES if other != lang)
    return render_template(template, lang=lang, other=other, language_names=LANGUAGE_NAMES, html_lang=HTML_LANG[lang],
                           css=inline_css()[0], **context)


def html_response(html: str, status: int = 200) -> Response:
    """Return a public page with its CSP and caching headers."""
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = page_csp()
    response.headers["Vary"] = VARY
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a public page with its inline CSS, language, CSP and caching headers."""
    return html_response(render_html(template, **context), status)


def error_response(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    """Return an error as a readable page (browsers) or RFC 9457 problem+json (everyone else)."""
    if wanted_format() == "html":
        response = render_page("lookup/message.html", status=status, title=title, detail=detail, show_search=True)
    else:
        response = problem(status, slug, title, detail, **extra)
        response.headers["Vary"] = VARY
    response.headers["Cache-Control"] = "no-store"
    return response


def page_error(err: PageError) -> Response:
    """Return a PageError in the viewer's language."""
    return error_response(err.status, err.slug, str(err.page_title), str(err.page_detail))
