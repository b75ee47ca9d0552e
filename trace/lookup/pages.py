"""What every public page shares: its language, format negotiation, inline CSS with its CSP hash, errors, limits."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from flask import Response, current_app, g, render_template, request

from trace.cache import LruCache
from trace.config import REPO_ROOT, Config
from trace.errors import TraceError, problem
from trace.lookup.i18n import HTML_LANG, Translator, language_from
from trace.lookup.resolver import LINKSET_MIME
from trace.services.audit.verification import VerificationCache

CSS_PATH = REPO_ROOT / "static" / "css" / "lookup.css"
JSON_MIME = "application/json"
VARY = "Accept, Accept-Language"


class PageError(TraceError):
    """A public page's error: an HTTP status and a message (and title) to show in the viewer's language."""

    def __init__(self, status: int, slug: str, key: str, title_key: str, **values: Any) -> None:
        super().__init__(key)
        self.status, self.slug, self.key, self.title_key, self.values = status, slug, key, title_key, values


def config() -> Config:
    return current_app.config["TRACE"]  # type: ignore[no-any-return]


def public_limit() -> str:
    """Return the rate limit of lookups per client address."""
    return config().public_rate_limit


def feedback_limit() -> str:
    """Return the (tighter) rate limit of feedback submissions per client address."""
    return config().feedback_rate_limit


def verification_cache() -> VerificationCache:
    return current_app.extensions["trace.verification"]  # type: ignore[no-any-return]


def view_cache() -> LruCache[Any]:
    return current_app.extensions["trace.lookup_views"]  # type: ignore[no-any-return]


def translator() -> Translator:
    """Return the request's translator: ``?lang=``, else Accept-Language, else Chinese."""
    if "lookup_t" not in g:
        g.lookup_t = Translator(language_from(request.args.get("lang"), request.accept_languages))
    return g.lookup_t  # type: ignore[no-any-return]


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


def page_csp() -> str:
    """Return the Content-Security-Policy of the public pages: no scripts, only our inline CSS."""
    return (f"default-src 'none'; style-src {inline_css()[1]}; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def render_html(template: str, **context: Any) -> str:
    """Render a public page's HTML in the request's language, with the inline CSS."""
    t = translator()
    return render_template(template, t=t, lang=t.lang, html_lang=HTML_LANG[t.lang], css=inline_css()[0], **context)


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
    t = translator()
    return error_response(err.status, err.slug, t(err.title_key), t(err.key, **err.values))
