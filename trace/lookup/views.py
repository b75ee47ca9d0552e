"""The lookup page of a trace code or unit serial, by /t/<code>, /T/<code> or a GS1 Digital Link path."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Response, current_app, jsonify, redirect, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from trace.codes.digital_link import CHECK_DIGIT, DigitalLinkError, DigitalLinkPath, parse_digital_link_path
from trace.codes.gtin import GtinError, normalize_gtin
from trace.codes.tracecode import ALPHABET, TraceCodeError, normalize, parse_trace_code
from trace.db import db
from trace.extensions import limiter, page_language
from trace.lookup.blueprint import lookup
from trace.lookup.forms import form_token
from trace.lookup.pages import (
    VARY,
    PageError,
    config,
    html_response,
    public_limit,
    render_html,
    render_page,
    verification_cache,
    view_cache,
    wanted_format,
)
from trace.lookup.present import present_batch, with_target
from trace.lookup.resolver import (
    LINKSET_MIME,
    LINKSET_TYPES,
    identifier_uri,
    link_header,
    link_type_name,
    links,
    linkset,
    page_path,
)
from trace.models import Batch
from trace.services.audit.bundles import audit_bundle
from trace.services.endorsements import china_today
from trace.services.printing.labels import UnitScan, peek_unit
from trace.services.public import lookup as svc
from trace.services.public.counters import PAGE, SCAN, LookupCounter
from trace.services.signing.keys import LedgerConfig

LOOKUP_PATHS = ("/t/", "/T/", "/01/")
# Stand for what differs between requests in cached page HTML. Slots are HTML comments naming the slot
# and a nonce of this process; the unit's stand-ins, which pass through the unit macros' escaping, are
# plain words with the nonce. Text the page shows is escaped ("<" becomes "&lt;") and the nonce never
# leaves the process, so no name or record can imitate either.
_SLOT_NONCE = secrets.token_hex(16)
SLOTS = {name: f"<!--slot:{name}:{_SLOT_NONCE}-->"
         for name in ("token", "code", "warning", "serial", "quantity", "scans")}
# A unit page is rendered once with these in place of its serial and counts (as the unit macros read them).
UNIT_STAND_INS: dict[str, Any] = {"serial": f"slot-u-serial-{_SLOT_NONCE}", "scanCount": f"slot-u-count-{_SLOT_NONCE}",
                                  "firstScan": f"slot-u-first-{_SLOT_NONCE}", "warning": True}
_STAND_IN_KEYS = {"serial": "serial", "count": "scanCount", "first": "firstScan"}


@dataclass(frozen=True)
class Target:
    """What a URL names: a batch, or one unit (serial) of it; ``code`` is what the page is about."""

    batch_id: int
    code: str
    serial: str | None = None


def parse_code(text: str) -> str:
    """Return the canonical code, or a 400 page telling the kind of typo."""
    try:
        return parse_trace_code(text)
    except TraceCodeError as exc:
        shown = normalize(text)[:40]
        title = _l("This code has a typo")
        if exc.reason == "length":
            detail = _l("A trace code has 13 characters; you entered %(n)s.", n=len(shown))
        elif exc.reason == "charset":
            bad = "".join(sorted({c for c in shown if c not in ALPHABET}))
            detail = _l("A trace code never contains: %(chars)s", chars=bad)
        else:
            detail = _l("The check character of %(code)s does not match: a character may be mistyped or two "
                        "swapped. Please check it again.", code=shown)
        raise PageError(400, "mistyped-code", detail, title) from exc


def resolve_code(code: str) -> Target:
    """Return what a trace code or unit serial names, or a 404 page.

    A code names its batch (or unit) for good, so what each code names is remembered per process.
    """
    known = view_cache().get(("code", code))
    if known is not None:
        batch_id, is_unit = known
        return Target(batch_id, code, serial=code if is_unit else None)
    batch_id = db.session.scalar(db.select(Batch.id).where(Batch.trace_code == code))
    if batch_id is not None:
        view_cache().put(("code", code), (batch_id, False))
        return Target(batch_id, code)
    unit = peek_unit(db.session(), code)
    if unit is None:
        raise PageError(404, "not-found", _unknown(code), _l("Code not found"))
    view_cache().put(("code", code), (unit.batch_id, True))
    return Target(unit.batch_id, code, serial=code)


def _unknown(code: str) -> LazyString:
    return _l("The code %(code)s is well-formed, but nothing is recorded under it. Check the label, or ask the "
              "seller.", code=code)


@lookup.get("/t/<code>")
@lookup.get("/T/<code>")
@limiter.limit(public_limit)
def by_code(code: str) -> Response:
    return respond(resolve_code(parse_code(code)))


@lookup.get("/t")
@lookup.get("/T")
@limiter.limit(public_limit)
def search() -> Response:
    typed = request.args.get("code", "").strip()
    if typed:
        canonical = normalize(typed)[:40] or typed[:40]
        return redirect(f"/T/{quote(canonical, safe='')}" + _lang_query(), 303)  # type: ignore[return-value]
    return render_page("lookup/message.html", title=_("Look up a trace code"),
                       detail=_("Enter the 13-character trace code on the label."), show_search=True)


def _raw_path() -> str:
    """Return the request path still percent-encoded (a lot may hold an encoded "/")."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    path = urlsplit(raw).path if raw else quote(request.path, safe="/%")
    root = request.script_root
    return path[len(root):] if root and path.startswith(root) else path


def _digital_link_key(path: str) -> DigitalLinkPath:
    try:
        return parse_digital_link_path(path)
    except DigitalLinkError as exc:
        segments = path.split("/")
        title = _l("Invalid link")
        if exc.reason == CHECK_DIGIT:
            detail = _l("The check digit of GTIN %(gtin)s is wrong.", gtin=segments[2])
            raise PageError(400, "bad-check-digit", detail, title) from exc
        if len(segments) == 3 and segments[1] == "01":
            try:
                normalize_gtin(segments[2])
            except GtinError:
                pass
            else:
                detail = _l("This link names a product only; scan the QR code on the batch label.")
                raise PageError(404, "not-found", detail, title) from exc
        detail = _l("This GS1 Digital Link is malformed: %(detail)s", detail=str(exc))
        raise PageError(400, "malformed-link", detail, title) from exc


@lookup.get("/01/<path:_rest>")
@limiter.limit(public_limit)
def digital_link(_rest: str) -> Response:
    key = _digital_link_key(_raw_path())
    batch_id, code = _gtin_lot(key.gtin, key.lot)
    if key.serial is None:
        return respond(Target(batch_id, code))
    serial = normalize(key.serial)
    known = view_cache().get(("code", serial))
    if known != (batch_id, True):  # a unit serial names its batch for good: checked once per process
        if peek_unit(db.session(), serial, batch_id=batch_id) is None:
            detail = _l("This batch has no unit serial %(serial)s.", serial=key.serial)
            raise PageError(404, "not-found", detail, _l("Invalid link"))
        view_cache().put(("code", serial), (batch_id, True))
    return respond(Target(batch_id, serial, serial=serial))


def _gtin_lot(gtin: str, lot: str) -> tuple[int, str]:
    """Return the batch (id, trace code) a GTIN and lot name, or a 404 page.

    Remembered per log state: a lot can be corrected (a record), after which the old one names nothing.
    """
    state = svc.log_state(db.session(), config().lookup_state_max_age)
    key = ("gtin", gtin, lot, *state) if state else None
    found = view_cache().get(key) if key else None
    if found is None:
        batch = svc.find_batch_by_gtin(db.session(), gtin, lot)
        if batch is None:
            detail = _l("No batch has GTIN %(gtin)s and lot %(lot)s.", gtin=gtin, lot=lot)
            raise PageError(404, "not-found", detail, _l("Invalid link"))
        found = (batch.id, batch.trace_code)
        if key:
            view_cache().put(key, found)
    return found  # type: ignore[no-any-return]


def _lang_query(**more: str) -> str:
    params = {k: v for k, v in {"lang": request.args.get("lang", ""), **more}.items() if v}
    return "?" + urlencode(params) if params else ""


def _internal_navigation() -> bool:
    """Tell whether the request follows a link on one of our lookup pages (the language switch, say)."""
    referrer = request.referrer
    if not referrer:
        return False
    parts = urlsplit(referrer)
    return parts.netloc == request.host and parts.path.startswith(LOOKUP_PATHS)


def count_lookup(target: Target) -> UnitScan | None:
    """Count a lookup (not HEAD, not in-site navigation) in the lookup counters; return a unit's counts.

    No write here: the counter holds the tally until its flusher moves it to the database.
    """
    counting = request.method != "HEAD" and not _internal_navigation()
    counter: LookupCounter = current_app.extensions["trace.lookup_counter"]
    if target.serial is None:
        if counting:
            counter.count(target.code, target.batch_id, PAGE)
        return None
    flushed = counter.remembered(target.serial)  # a unit scanned again within a second: no database at all
    if flushed is None:
        unit = peek_unit(db.session(), target.serial, batch_id=target.batch_id)
        if unit is None:
            return None
        flushed = (unit.scan_count, unit.first_scanned_at)
        counter.remember(target.serial, *flushed)
    first: dt.datetime | None
    if counting:
        pending, first = counter.count(target.serial, target.batch_id, SCAN)
    else:
        pending, first = counter.pending(target.serial, target.batch_id, SCAN)
    return UnitScan(None, target.batch_id, target.serial, flushed[0] + pending, flushed[1] or first)


def _ledger() -> LedgerConfig:
    return current_app.extensions["trace.ledger"]  # type: ignore[no-any-return]


def page_content(target: Target, unit: UnitScan | None, state: tuple[int, bytes] | None) -> dict[str, Any]:
    """Return the page content; the batch's part is cached per language and log state (pages change by appends).

    Everything on a page but a unit's counts changes only with a signed, logged record (products,
    categories and organizations are not edited in place; certifications, verifications, brand
    grants and revocations are records) or with the date (a certification or grant expires).
    """
    cfg, lang = config(), page_language()
    key = ("view", target.batch_id, lang, china_today(), *state) if state else None  # an empty log caches nothing
    base = view_cache().get(key) if key else None
    if base is None:
        batch = svc.find_batch_by_id(db.session(), target.batch_id)
        assert batch is not None
        base = present_batch(svc.public_record(db.session(), _ledger(), batch, None, verification_cache()), lang)
        if key:
            view_cache().put(key, base)
    return with_target(base, code=target.code, unit=unit, threshold=cfg.counterfeit_threshold,
                       links=links(cfg.public_url, target.code))


def _resolver(target: Target) -> Response | None:
    """Answer ``?linkType=`` and linkset requests (GS1 resolver behaviour); None for the page itself."""
    asked = request.args.get("linkType")
    fmt = wanted_format()
    if fmt != "linkset" and asked is None:
        return None
    cfg = config()
    batch = svc.find_batch_by_id(db.session(), target.batch_id)
    assert batch is not None
    anchor = identifier_uri(cfg.public_url, target.code, batch.product.gtin, batch.lot, target.serial)
    items = links(cfg.public_url, target.code)
    headers = {"Link": link_header(anchor, items), "Vary": VARY, "Cache-Control": "no-cache"}
    if fmt == "linkset" or (asked is not None and asked.lower() in LINKSET_TYPES):
        body = json.dumps(linkset(anchor, items), ensure_ascii=False)
        return Response(body, mimetype=LINKSET_MIME, headers=headers)
    path, _, fragment = page_path(target.code, link_type_name(asked or "")).partition("#")
    response = redirect(path + _lang_query() + (f"#{fragment}" if fragment else ""), 307)
    response.headers.update(headers)
    return response  # type: ignore[return-value]


def _page_html(target: Target, view: dict[str, Any], state: tuple[int, bytes] | None) -> str:
    """Return the page's HTML: rendered once per batch, language and log state, then its slots filled.

    A batch page is the same for every lookup but its form token; a unit page is cached with
    stand-ins for the serial and counts (and its warning apart), replaced per lookup.
    """
    unit = view["unit"]
    key = ("html", target.batch_id, page_language(), china_today(), bool(unit), *state) if state else None
    cached = view_cache().get(key) if key else None
    if cached is None:
        html = render_html("lookup/page.html", v=view, slots={k: Markup(v) for k, v in SLOTS.items()}, form={},
                           errors={})
        macros = current_app.jinja_env.get_template("lookup/_unit.html").module
        shown = UNIT_STAND_INS if unit else None
        fill = {name: str(getattr(macros, name)(shown)) if shown else "" for name in ("serial", "scans")}
        fill["quantity"] = str(macros.quantity(shown, view["batch"]["quantityText"]))  # type: ignore[attr-defined]
        fill["code"] = UNIT_STAND_INS["serial"] if unit else target.code
        for name, value in fill.items():
            html = html.replace(SLOTS[name], value)
        cached = (html, str(macros.warning(UNIT_STAND_INS)))  # type: ignore[attr-defined]
        if key:
            view_cache().put(key, cached)
    html, warning = cached
    if unit:
        html = html.replace(SLOTS["warning"], warning if unit["warning"] else "")
        for name, value in (("serial", unit["serial"]), ("count", str(unit["scanCount"])),
                            ("first", unit["firstScan"] or "—")):
            html = html.replace(UNIT_STAND_INS[_STAND_IN_KEYS[name]], escape(value))
    else:
        html = html.replace(SLOTS["warning"], "")
    return html.replace(SLOTS["token"], form_token(current_app.secret_key or "", target.code))  # type: ignore[arg-type]


def respond(target: Target) -> Response:
    """Answer a lookup: linkset, link-type redirect, JSON or the HTML page."""
    resolved = _resolver(target)
    if resolved is not None:
        return resolved
    unit = count_lookup(target)
    if target.serial is not None and unit is None:
        raise PageError(404, "not-found", _unknown(target.code), _l("Code not found"))
    cfg = config()
    state = svc.log_state(db.session(), cfg.lookup_state_max_age)
    view = page_content(target, unit, state)
    anchor = identifier_uri(cfg.public_url, target.code, view["product"]["gtin"], view["batch"]["lot"],
                            target.serial)
    headers = {"Link": link_header(anchor, view["links"]), "Vary": VARY,
               "Cache-Control": "no-store" if unit else "no-cache"}
    if wanted_format() == "json":
        response = jsonify(view)
    else:
        response = html_response(_page_html(target, view, state))
    response.headers.update(headers)
    return response


@lookup.get("/t/<code>/proof")
@lookup.get("/T/<code>/proof")
@limiter.limit(public_limit)
def proof(code: str) -> Response:
    """The batch's proof bundle (records, signatures, keys, inclusion proofs, checkpoint) to verify offline."""
    target = resolve_code(parse_code(code))
    batch = svc.find_batch_by_id(db.session(), target.batch_id)
    assert batch is not None
    bundle = audit_bundle(db.session(), _ledger(), batch)
    return Response(json.dumps(bundle, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="proof-{batch.trace_code}.json"',
                             "Cache-Control": "no-cache"})
