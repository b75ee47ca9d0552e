"""What every console page shares: the layout's language and inline CSS, its CSP, no caching."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from flask import Response, g, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from trace.config import REPO_ROOT
from trace.db import utcnow
from trace.extensions import HTML_LANG, LANGUAGES, page_language

CSS_PATH = REPO_ROOT / "static" / "css" / "console.css"
# Each language by its own name (the switch link names the other language in that language).
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

ROLE_NAMES: dict[str, LazyString] = {
    "admin": _l("Administrator"), "producer": _l("Producer"), "station": _l("Township service station"),
    "lab": _l("Laboratory"), "inspector": _l("Inspector"),
}
KIND_NAMES: dict[str, LazyString] = {
    "cooperative": _l("Cooperative"), "family_farm": _l("Family farm"), "enterprise": _l("Enterprise"),
    "processor": _l("Processor"), "logistics": _l("Logistics"), "retailer": _l("Retailer"),
    "inspection_agency": _l("Laboratory (inspection agency)"), "authority": _l("Authority"),
    "station": _l("Township service station"),
}

ACTION_NAMES: dict[str, LazyString] = {
    "user_created": _l("User created"), "signed_in": _l("Signed in"), "sign_in_failed": _l("Sign-in failed"),
    "sign_in_locked": _l("Sign-in refused (locked)"), "signed_out": _l("Signed out"),
    "password_changed": _l("Password changed"), "password_reset": _l("Password reset"),
    "role_changed": _l("Role changed"), "user_disabled": _l("User disabled"), "user_enabled": _l("User enabled"),
    "token_created": _l("API token created"), "token_revoked": _l("API token revoked"),
    "device_enrolled": _l("Device enrolled"), "device_revoked": _l("Device revoked"),
    "organization_created": _l("Organization created"),
}


@dataclass(frozen=True)
class NavItem:
    """A link in the console's menu, shown to the roles named (to everyone signed in when none are)."""

    endpoint: str
    label: LazyString
    roles: frozenset[str]


NAV: list[NavItem] = []


def add_nav(endpoint: str, label: LazyString, *roles: str) -> None:
    """Put a page in the console's menu (modules call this when they register their routes)."""
    NAV.append(NavItem(endpoint, label, frozenset(roles)))


def nav_items(role: str | None) -> list[dict[str, str]]:
    if role is None:
        return []
    return [{"url": url_for(item.endpoint), "label": str(item.label)} for item in NAV
            if not item.roles or role in item.roles]


@cache
def inline_css() -> tuple[str, str]:
    """Return the console CSS (from static/) to inline, and its CSP source expression."""
    text = CSS_PATH.read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"'sha256-{digest}'"


def page_csp() -> str:
    """Return the console's Content-Security-Policy: the lookup pages' (no scripts, only our inline CSS)."""
    return (f"default-src 'none'; style-src {inline_css()[1]}; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def render(template: str, status: int = 200, **context: Any) -> Response:
    """Render a console page in the request's language with its CSP; never cached (it shows an account)."""
    lang = page_language()
    other = next(other for other in LANGUAGES if other != lang)
    found = g.get("account")
    switch_url = request.path + "?" + urlencode({**request.args.to_dict(), "lang": other})
    html = render_template(template, lang=lang, other=other, language_names=LANGUAGE_NAMES, switch_url=switch_url,
                           html_lang=HTML_LANG[lang], css=inline_css()[0], account=found, role_names=ROLE_NAMES,
                           kind_names=KIND_NAMES, action_names=ACTION_NAMES, now=utcnow(),
                           nav_items=nav_items(found.role if found else None), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = page_csp()
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response
