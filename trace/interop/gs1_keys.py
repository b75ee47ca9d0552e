"""GS1 keys in EPC URIs, EPC class URIs and GS1 Digital Link URIs as one canonical Digital Link URI.

The normalisation the CBV 2.0 event hash uses (a port of the reference implementation's
dl_normaliser): ``https://id.gs1.org/<AI>/<key>`` with only the finest identification level
(a serial drops the lot), no query string and no CPV.
"""

from __future__ import annotations

import re

DL = "https://id.gs1.org/"
_SAFE = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_PCT = str.maketrans({"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"})


def check_digit(digits: str) -> int:
    """Return the GS1 check digit of a key without it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def _with_check(digits: str) -> str:
    return digits + str(check_digit(digits))


def dl_normal(uri: str) -> str | None:
    """Return the canonical GS1 Digital Link URI of an EPC URI, EPC class URI or GS1 DL URI, else None."""
    if "." not in uri:
        return None
    if m := re.fullmatch(r"urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.(.+)", uri):
        prefix, ref, serial = m.groups()
        if len(prefix) + len(ref) == 13:
            return f"{DL}01/{_with_check(ref[0] + prefix + ref[1:])}/21/{serial.translate(_PCT)}"
    if m := re.fullmatch(r"urn:epc:class:lgtin:(\d{6,12})\.(\d{1,7})\.(.+)", uri):
        prefix, ref, lot = m.groups()
        if len(prefix) + len(ref) == 13:
            return f"{DL}01/{_with_check(ref[0] + prefix + ref[1:])}/10/{lot.translate(_PCT)}"
    if m := re.fullmatch(r"urn:epc:idpat:sgtin:(\d{6,12})\.(\d{1,7})\.\*", uri):
        prefix, ref = m.groups()
        if len(prefix) + len(ref) == 13:
            return f"{DL}01/{_with_check(ref[0] + prefix + ref[1:])}"
    if m := re.fullmatch(r"urn:epc:id:sscc:(\d{6,12})\.(\d{5,11})", uri):
        prefix, ref = m.groups()
        if len(prefix) + len(ref) == 17:
            return f"{DL}00/{_with_check(ref[0] + prefix + ref[1:])}"
    if m := re.fullmatch(r"urn:epc:id:sgln:(\d{6,12})\.(\d{0,6})\.(.+)", uri):
        prefix, ref, extension = m.groups()
        if len(prefix) + len(ref) == 12:
            gln = _with_check(prefix + ref)
            return f"{DL}414/{gln}" if extension == "0" else f"{DL}414/{gln}/254/{extension.translate(_PCT)}"
    if m := re.fullmatch(r"urn:epc:id:pgln:(\d{6,12})\.(\d{0,6})", uri):
        prefix, ref = m.groups()
        if len(prefix) + len(ref) == 12:
            return f"{DL}417/{_with_check(prefix + ref)}"
    if m := re.fullmatch(r"urn:epc:id:giai:(\d{6,12})\.(.+)", uri):
        prefix, ref = m.groups()
        return f"{DL}8004/{prefix}{ref.translate(_PCT)}"
    if m := re.fullmatch(r"urn:epc:id:grai:(\d{6,12})\.(\d{0,6})\.(.+)", uri):
        prefix, ref, serial = m.groups()
        if len(prefix) + len(ref) == 12:
            return f"{DL}8003/{_with_check('0' + prefix + ref)}{serial.translate(_PCT)}"
    return _other_epc(uri) or _dl_uri(uri)


def _other_epc(uri: str) -> str | None:
    """Return the Digital Link URI of the less common EPC schemes (documents, services, coupons, pieces)."""
    if m := re.fullmatch(r"urn:epc:id:gdti:(\d{6,12})\.(\d{0,6})\.(.*)", uri):
        prefix, ref, serial = m.groups()
        if len(prefix) + len(ref) == 12:
            return f"{DL}253/{_with_check(prefix + ref)}{serial.translate(_PCT)}"
    if m := re.fullmatch(r"urn:epc:id:sgcn:(\d{6,12})\.(\d{0,6})\.(\d{1,12})", uri):
        prefix, ref, serial = m.groups()
        if len(prefix) + len(ref) == 12:
            return f"{DL}255/{_with_check(prefix + ref)}{serial}"
    if m := re.fullmatch(r"urn:epc:id:ginc:(\d{6,12})\.(.+)", uri):
        return f"{DL}401/{m.group(1)}{m.group(2).translate(_PCT)}"
    for scheme, ai, length in (("gsin", "402", 16), ("gsrn", "8018", 17), ("gsrnp", "8017", 17)):
        if m := re.fullmatch(rf"urn:epc:id:{scheme}:(\d{{6,12}})\.(\d+)", uri):
            if len(m.group(1)) + len(m.group(2)) == length:
                return f"{DL}{ai}/{_with_check(m.group(1) + m.group(2))}"
    if m := re.fullmatch(r"urn:epc:id:cpi:(\d{6,12})\.([0-9A-Z%-]+)\.(\d+)", uri):
        return f"{DL}8010/{(m.group(1) + m.group(2)).translate(_PCT)}/8011/{m.group(3)}"
    if m := re.fullmatch(r"urn:epc:id:itip:(\d{6,12})\.(\d{1,7})\.(\d\d)\.(\d\d)\.(.+)", uri):
        prefix, ref, piece, total, serial = m.groups()
        if len(prefix) + len(ref) == 13:
            gtin = _with_check(ref[0] + prefix + ref[1:])
            return f"{DL}8006/{gtin}{piece}{total}/21/{serial.translate(_PCT)}"
    if m := re.fullmatch(r"urn:epc:id:upui:(\d{6,12})\.(\d{1,7})\.(.+)", uri):
        prefix, ref, serial = m.groups()
        if len(prefix) + len(ref) == 13:
            return f"{DL}01/{_with_check(ref[0] + prefix + ref[1:])}/235/{serial.translate(_PCT)}"
    return None


_SHORT = {"gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
          "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003",
          "giai": "8004", "cpv": "22", "lot": "10", "ser": "21"}
_KEYS = ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018")
_VALID = [r"00/\d{18}", rf"01/\d{{14}}/21/{_SAFE}{{0,20}}", rf"01/\d{{14}}/10/{_SAFE}{{0,20}}", r"01/\d{14}",
          rf"01/\d{{14}}/235/{_SAFE}{{0,28}}", rf"253/\d{{13}}{_SAFE}{{0,17}}", r"255/\d{13}\d{0,12}",
          rf"401/{_SAFE}{{0,30}}", r"402/\d{17}", r"414/\d{13}", rf"414/\d{{13}}/254/{_SAFE}{{0,20}}", r"417/\d{13}",
          rf"8003/\d{{14}}{_SAFE}{{0,16}}", rf"8004/{_SAFE}{{0,30}}", rf"8006/\d{{18}}/21/{_SAFE}{{0,20}}",
          rf"8006/\d{{18}}/10/{_SAFE}{{0,20}}", r"8006/\d{18}", r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}",
          r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}", r"8017/\d{18}", r"8018/\d{18}"]


def _dl_uri(uri: str) -> str | None:
    """Return a GS1 Digital Link URI on id.gs1.org, with AIs for short names and only its finest key."""
    if not re.match(r"https?://[^/?#]+/(?:[^?#]*/)?(?:" + "|".join([*_KEYS, *_SHORT]) + r")/\d", uri):
        return None
    uri = uri.split("?", 1)[0]
    for short, ai in _SHORT.items():
        uri = uri.replace(f"/{short}/", f"/{ai}/")
    if not re.match(r"https://id\.gs1\.org/(" + "|".join(_KEYS) + r")/\d{4}", uri):
        for key in ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017",
                    "8018"):
            at = uri.find(f"/{key}/")
            if at != -1:
                uri = DL.rstrip("/") + uri[at:]
                break
    if m := re.match(r"https://id\.gs1\.org/01/(\d{8}|\d{12}|\d{13})(?=/|$)", uri):
        uri = uri.replace("/01/", "/01/" + "0" * (14 - len(m.group(1))), 1)
    uri = re.sub(r"^(https://id\.gs1\.org/(?:01/\d{14}|8006/\d{18}))/22/[^/]*", r"\1", uri)
    uri = re.sub(rf"^(https://id\.gs1\.org/(?:01/\d{{14}}|8006/\d{{18}}))/10/{_SAFE}{{0,20}}(/21/)", r"\1\2", uri)
    tail = uri[len(DL):] if uri.startswith(DL) else None
    if tail is not None and any(re.fullmatch(pattern, tail) for pattern in _VALID):
        return uri
    return None
