"""GS1 resolver behaviour: link types, the RFC 9264 linkset and the Link header of a looked-up code.

Every link type leads to a part of the one public page; ``?linkType=`` redirects there (an
unknown type to the default link), ``linkType=linkset`` (or ``all``) and
``Accept: application/linkset+json`` return the linkset.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import LazyString, lazy_pgettext
from flask_babel import lazy_gettext as _l

from trace.codes.digital_link import DigitalLinkError, digital_link_url
from trace.extensions import LANGUAGES, page_language

GS1_VOC = "https://gs1.org/voc/"
LINKSET_MIME = "application/linkset+json"
LINKSET_TYPES = frozenset({"linkset", "all"})
DEFAULT_LINK = "defaultLink"
# Link type → where on the page it leads, and its title.
LINK_TYPES: dict[str, tuple[str, LazyString]] = {
    DEFAULT_LINK: ("", _l("Trace lookup")),
    "pip": ("#product", lazy_pgettext("page section", "Product")),
    "traceability": ("#timeline", _l("Timeline")),
    "certificationInfo": ("#certifications", _l("Certifications")),
    "recallStatus": ("#recall", _l("Recall status")),
    "verificationService": ("#verification", _l("Verification")),
    "review": ("#feedback", _l("Feedback")),
}
_BY_LOWER = {name.lower(): name for name in LINK_TYPES}
_TITLES: dict[str, dict[str, str]] = {}  # language → link type → title, translated once a process


def link_type_name(value: str) -> str | None:
    """Return our name for a requested link type (``gs1:pip``, ``https://gs1.org/voc/pip``, ``pip``), or None."""
    text = value.strip()
    for prefix in ("gs1:", GS1_VOC):
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix):]
            break
    return _BY_LOWER.get(text.lower())


@lru_cache(maxsize=4096)
def identifier_uri(public_url: str, code: str, gtin: str | None, lot: str, serial: str | None) -> str:
    """Return the URI that names the looked-up item: its Digital Link when the product has a GTIN."""
    if gtin:
        try:
            return digital_link_url(public_url, gtin, lot, serial)
        except DigitalLinkError:
            pass  # a lot outside GS1 character set 82 has no Digital Link
    return f"{public_url.rstrip('/')}/T/{code}"


def page_path(code: str, link_type: str | None) -> str:
    """Return the site-relative target of a link type (the default link for unknown ones)."""
    fragment = LINK_TYPES.get(link_type or DEFAULT_LINK, LINK_TYPES[DEFAULT_LINK])[0]
    return f"/T/{code}{fragment}"


def links(public_url: str, code: str) -> list[dict[str, Any]]:
    """Return the item's links, each with its GS1 relation type, absolute href, title (in the page language)."""
    base, titles = public_url.rstrip("/"), _titles()
    return [{"rel": GS1_VOC + name, "href": base + page_path(code, name), "title": titles[name], "type": "text/html",
             "hreflang": list(LANGUAGES)} for name in LINK_TYPES]


def _titles() -> dict[str, str]:
    lang = page_language()
    found = _TITLES.get(lang)
    if found is None:
        found = _TITLES[lang] = {name: str(title) for name, (_, title) in LINK_TYPES.items()}
    return found


def linkset(anchor: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the RFC 9264 JSON linkset of an item."""
    context: dict[str, Any] = {"anchor": anchor}
    for link in items:
        context.setdefault(link["rel"], []).append({k: v for k, v in link.items() if k != "rel"})
    return {"linkset": [context]}


def link_header(anchor: str, items: list[dict[str, Any]]) -> str:
    """Return a Link header (RFC 8288) naming the linkset and every link (titles left out: headers are Latin-1)."""
    parts = [f'<{anchor}?linkType=linkset>; rel="linkset"; type="{LINKSET_MIME}"']
    parts += [f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"' for link in items]
    return ", ".join(parts)
