"""Who vouches for the product, as the page says it: certifications and the regional brand's grant (credentials).

Messages are Flask-Babel catalog entries (English msgids, Chinese in trace/translations/zh_CN).
A recall or a failed result leads the page; beside them nothing here reads as a safety claim.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l

from trace.services.audit.verification import Verification
from trace.services.endorsements import (
    AUTHORISED,
    BRAND,
    CERTIFIED,
    EXPIRED,
    NOT_YET_VALID,
    REJECTED,
    REVOKED,
    VERIFIED,
    Endorsement,
)
from trace.stages import in_language
from trace.stages.certification import KINDS
from trace.times import show_date

# The CSS class of each state: vouches (ok), warns (bad), neither (note).
TONE = {VERIFIED: "ok", AUTHORISED: "ok", EXPIRED: "bad", REJECTED: "bad", REVOKED: "bad"}


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _pick(zh: str | None, en: str | None, lang: str) -> str:
    return (en or zh or "") if lang == "en" else (zh or "")


def _certification_text(e: Endorsement, lang: str) -> str:
    """Say how a certification stands: verified by whom, never verified, rejected, expired (and until when)."""
    until = _day(e.until)
    signer = _pick(e.signer, e.signer_en, lang)
    if e.state == EXPIRED:
        label = _l("Expired on %(date)s", date=until)
    elif e.state == REJECTED:
        label = _l("Rejected by %(org)s", org=signer)
    elif e.state == NOT_YET_VALID:
        label = _l("Not valid before its start date; valid until %(date)s", date=until)
    elif e.state == VERIFIED:
        label = _l("Verified by %(org)s; valid until %(date)s", org=signer, date=until)
    elif not e.records:
        label = (_l("Declared by the producer, not verified; valid until %(date)s", date=until) if until
                 else _l("Declared by the producer, not verified"))
    else:
        label = _l("Not verified yet; valid until %(date)s", date=until)
    return in_language(label, lang)


def _brand_text(e: Endorsement, lang: str) -> str:
    """Say how a regional brand claim stands: authorised until when and by whom, revoked, expired, or not at all."""
    owner = _pick(e.by, e.by_en, lang)
    if e.state == AUTHORISED:
        label = _l("Authorised until %(date)s by %(org)s", date=_day(e.until), org=owner)
    elif e.state == REVOKED:
        revoked = show_date(e.since) or ""
        label = _l("Authorisation revoked by %(org)s on %(date)s", org=owner, date=revoked)
    elif e.state == EXPIRED:
        label = _l("Authorisation by %(org)s expired on %(date)s", org=owner, date=_day(e.until))
    elif e.records:
        label = _l("Not authorised by the brand's owner, %(org)s", org=owner)
    else:
        label = _l("Not a registered regional brand")
    return in_language(label, lang)


def endorsement(e: Endorsement, lang: str) -> dict[str, Any]:
    """Return one endorsement as the page and its JSON variant carry it."""
    if e.kind == CERTIFIED:
        name = in_language(KINDS.get(e.what, KINDS["other"]), lang)
        text = _certification_text(e, lang)
    elif e.kind == BRAND:
        name, text = _pick(e.what, e.what_en, lang), _brand_text(e, lang)
    else:  # a kind without words of its own shows as recorded
        name, text = e.what, e.state
    return {"kind": e.kind, "what": e.what, "name": name, "number": e.number, "by": _pick(e.by, e.by_en, lang) or None,
            "signedBy": _pick(e.signer, e.signer_en, lang) or None, "until": _day(e.until), "state": e.state,
            "good": e.good, "tone": TONE.get(e.state, "note"), "text": text,
            "reason": e.reason if e.state in (REVOKED, REJECTED) else None, "records": list(e.records)}


def endorsements(v: Verification, lang: str) -> dict[str, Any]:
    """Return the page's credentials: certifications, the brand claim, and a caution when a recall or failure leads.

    The caution follows the verdict's ``cleared`` (a recall or a failed result here or upstream
    leads the page); an expired, rejected or revoked credential is a warning in its own line.
    """
    shown = [endorsement(e, lang) for e in v.credentials]
    alarm = bool(v.cautions)
    return {
        "items": shown,
        "certifications": [e for e in shown if e["kind"] == CERTIFIED],
        "brand": next((e for e in shown if e["kind"] == BRAND), None),
        "caution": in_language(_l("This batch is recalled or failed a test: the certifications and brand below "
                                  "are not a safety claim."), lang) if alarm else None,
    }

