"""Flask extensions as module globals, bound to an application with ``init_app`` in the factory.

Blueprints and views import them from here, never from ``trace.app``. The database extension
(``db``) lives with the model base in ``trace/db.py``.
"""

from __future__ import annotations

from functools import cached_property

from babel.support import NullTranslations, Translations
from flask import has_app_context, request
from flask_babel import Babel, Domain, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate

# Page languages and the catalogs under trace/translations/ that hold them.
LOCALES = {"zh": "zh_CN", "en": "en"}


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


def select_locale() -> str:
    """Return the catalog for a request: ``?lang=``, then Accept-Language, then Chinese (as the lookup pages)."""
    from trace.lookup.i18n import language_from  # the lookup package imports services: not at module load

    return LOCALES[language_from(request.args.get("lang"), request.accept_languages)]


babel = Catalogued()


limiter = Limiter(key_func=get_remote_address, default_limits=[])
migrate = Migrate()
