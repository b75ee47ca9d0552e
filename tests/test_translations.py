"""The catalogs: every string the code marks for translation is in both, translated, and compiled."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "trace" / "translations"
# As `make translations` extracts (babel.cfg; -k _l -k lazy_gettext -k lazy_pgettext:1c,2).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
METHODS = [("trace/**.py", "python"), ("trace/templates/**.html", "jinja2")]
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
WORDS = re.compile(r"[A-Za-z]{3,}")


def _marked() -> set[tuple[str | None, str]]:
    """Return (context, msgid) of every string the code marks, extracted as pybabel does."""
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_every_marked_string_is_in_both_catalogs(catalogs):
    marked = _marked()
    assert len(marked) > 200  # the lookup pages, errors, labels and every stage's labels
    for locale in ("zh_CN", "en"):
        held = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogs[locale] if m.id}
        assert marked - held == set(), f"{locale}: not in the catalog; run make translations"
        assert held - marked == set(), f"{locale}: in the catalog, no longer in the code; run make translations"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_message_is_translated_with_its_placeholders(catalogs, locale):
    for message in catalogs[locale]:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]  # plurals: singular, plural
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        assert forms and all(f and f.strip() for f in forms), (locale, message.id)
        assert not message.fuzzy, (locale, message.id)
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == set(PLACEHOLDER.findall(msgid)), message.id
            if locale == "zh_CN" and WORDS.search(PLACEHOLDER.sub("", msgid)):  # symbols ("%", "°C", ", ") need none
                assert CHINESE.search(form), ("not Chinese", message.id, form)
            elif locale == "en":
                assert not CHINESE.search(form), ("not English", message.id, form)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_compiled_catalogs_are_up_to_date(catalogs, locale):
    compiled = BytesIO()
    write_mo(compiled, catalogs[locale])
    assert (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes() == compiled.getvalue(), (
        "run: make translations")
