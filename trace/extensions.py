"""Flask extensions as module globals, bound to an application with ``init_app`` in the factory.

Blueprints and views import them from here, never from ``trace.app``. The database extension
(``db``) lives with the model base in ``trace/db.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, cached_property

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Response, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# Page languages (Chinese first: the default) and the catalogs under trace/translations/ that hold them.
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LOCALES = {"zh": "zh_CN", "en": "en"}
HTML_LANG = {"zh": "zh-CN", "en": "en"}
# The viewer's choice of language (``?lang=``), remembered for a year.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


class Catalogs(Domain):
    """Flask-Babel's message domain, finding a locale's catalog under its ``language_TERRITORY`` name.

    Babel parses ``zh_CN`` as ``zh_Hans_CN``, for which gettext looks in ``zh_Hans_CN/`` and ``zh/``
    only; the Chinese catalog is filed as ``zh_CN/`` (what ``pybabel init -l zh_CN`` makes).
    """

    def get_translations(self) -> NullTranslations:
        if not has_app_context():
            return NullTranslations()
        locale = get_locale()
        key = str(locale)
        if key not in self.cache:
            names = [key, "_".join(p for p in (locale.language, locale.territory) if p)] if locale else []
            merged = Translations()
            for directory in self.translation_directories:
                catalog = Translations.load(directory, names, self.domain[0])
                if isinstance(catalog, Translations):  # else no catalog for the locale: msgids show
                    merged.merge(catalog)
            self.cache[key] = merged
        return self.cache[key]


class Catalogued(Babel):
    """Flask-Babel reading the catalogs through ``Catalogs``."""

    @cached_property
    def domain_instance(self) -> Domain:
        return Catalogs(domain=self.domain)


def language_from(asked: str | None, remembered: str | None, accepted: Iterable[tuple[str, float]]) -> str:
    """Return the page language: ``?lang=``, else the cookie, else the best Accept-Language match, else zh.

    Matching is by primary subtag (zh-CN, zh-Hans-CN → zh; en-GB → en), in the client's order of preference.
    """
    for tag in (asked, remembered):
        if tag and (primary := _primary(tag)) in LANGUAGES:
            return primary
    for tag, quality in accepted:
        primary = _primary(tag)
        if quality > 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-", 1)[0].strip().lower()


def page_language() -> str:
    """Return the request's language (``zh`` or ``en``), chosen once a request."""
    if "page_language" not in g:
        g.page_language = language_from(request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE),
                                        request.accept_languages)
    return g.page_language  # type: ignore[no-any-return]


@cache
def _parsed(name: str) -> Locale:
    return Locale.parse(name)  # parsing searches Babel's locale data: once a locale, not once a request


def select_locale() -> Locale | None:
    """Return the locale of the request's language (Flask-Babel's locale selector); None outside requests."""
    return _parsed(LOCALES[page_language()]) if has_request_context() else None


def remember_language(response: Response) -> Response:
    """Keep a language asked for with ``?lang=`` in a cookie, so the viewer's next pages follow it."""
    asked = request.args.get("lang")
    if not asked or request.path.startswith("/api/"):
        return response
    primary = _primary(asked)
    if primary in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != primary:
        response.set_cookie(LANGUAGE_COOKIE, primary, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response


babel = Catalogued()


limiter = Limiter(key_func=get_remote_address, default_limits=[])
migrate = Migrate()
# Every form post carries a CSRF token; the API (bearer tokens, no cookies) and the public pages
# (their feedback form has its own signed token) are exempted in the factory.
csrf = CSRFProtect()
