"""The CBV 2.0 event hash ID (GS1 CBV 2.0 §8.9) of an EPCIS 2.0 JSON event.

A port of the reference algorithm (RalphTro/epcis-event-hash-generator, which the openepcis
event-hash-generator follows): the event becomes a tree of (name, text, children) as the XML
binding has it; the fields in ``PROP_ORDER`` are written first, in that order, as ``name=value``
with equal siblings sorted; what is left (user extensions, source/destination and business
transaction lists) follows, sorted. Times become UTC at millisecond precision, numbers lose
trailing zeros, CBV URNs and bare words become CBV Web URIs, and GS1 keys become canonical
GS1 Digital Link URIs (``interop/gs1_keys.py``). The pre-hash string's SHA-256 gives
``ni:///sha-256;<hex>?ver=CBV2.0``.

Covered: ObjectEvent, AggregationEvent, TransformationEvent and AssociationEvent fields,
sensor elements, user extensions with prefixes from the document's @context. Not covered:
the XML binding, JSON-LD expansion beyond the CBV vocabularies named in ``VOCABULARY``, and
the repository-x ``ignoreFields`` convention.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from trace.interop.gs1_keys import dl_normal

Node = tuple[Any, str, list[Any]]  # (name, text, children); a name may itself be a pair (source lists)

_Q = [("epcClass", None), ("quantity", None), ("uom", None)]
PROP_ORDER: list[tuple[Any, Any]] = [
    ("eventTime", None), ("eventTimeZoneOffset", None), ("certificationInfo", None), ("parentID", None),
    ("epcList", [("epc", None)]), ("inputEPCList", [("epc", None)]), ("childEPCs", [("epc", None)]),
    ("quantityList", [("quantityElement", _Q)]), ("childQuantityList", [("quantityElement", _Q)]),
    ("inputQuantityList", [("quantityElement", _Q)]), ("outputEPCList", [("epc", None)]),
    ("outputQuantityList", [("quantityElement", _Q)]), ("action", None), ("transformationID", None),
    ("bizStep", None), ("disposition", None), ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]), ("bizLocation", [("id", None)]),
    ("bizTransactionList", [(("type", None), ("bizTransaction", None))]),
    ("sourceList", [(("type", None), ("source", None))]),
    ("destinationList", [(("type", None), ("destination", None))]),
    ("sensorElementList", [("sensorElement", [
        ("sensorMetadata", [(n, None) for n in (
            "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
            "bizRules")]),
        ("sensorReport", [(n, None) for n in (
            "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
            "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
            "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
            "uom", "coordinateReferenceSystem")]),
    ])]),
]
IGNORED = ("recordTime", "eventID", "type", "errorDeclaration")
UNSORTED = ("bizTransaction", "source", "destination")
CBV = "https://ref.gs1.org/cbv/"
WEB_VOCABULARY = (("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"), ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
                  ("urn:epcglobal:cbv:btt:", CBV + "BTT-"), ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
                  ("urn:epcglobal:cbv:er:", CBV + "ER-"))


def event_hash_id(event: dict[str, Any], context: Any = None, *, document_events: list[Any] | None = None) -> str:
    """Return the CBV 2.0 event hash ID of one EPCIS JSON event (``context``: the document's @context)."""
    digest = hashlib.sha256(prehash(event, context, document_events).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def prehash(event: dict[str, Any], context: Any = None, document_events: list[Any] | None = None) -> str:
    """Return the pre-hash string of one EPCIS JSON event."""
    namespaces = _namespaces(context)
    expanded = _vocabulary(document_events if document_events is not None else [event])
    tree = _structure(_tree(_replace_bare(event, expanded), namespaces))
    return "eventType=" + tree[0] + _in_order(tree[2], PROP_ORDER) + _leftovers(tree[2])


# --- JSON to the XML binding's tree --------------------------------------------------------------
def _namespaces(context: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            found.update({k: "{" + v + "}" for k, v in item.items() if isinstance(v, str)})
    return found


def _prefixed(text: Any, namespaces: dict[str, str], *, value: bool = False) -> Any:
    if not isinstance(text, str):
        return text
    head, sep, rest = text.partition(":")
    if sep and head in namespaces:
        return (namespaces[head].strip("{}") if value else namespaces[head]) + rest
    return text


def _text(value: Any) -> str:
    """Return a JSON scalar as the reference (Python's json module, then str) writes it."""
    if isinstance(value, bool):
        return str(value)
    if value is None:
        return "None"
    if not isinstance(value, str) and not isinstance(value, int):  # a number: JSON parses it as a float
        return str(float(value))
    return str(value)


def _tree(obj: Any, namespaces: dict[str, str]) -> Node:
    if isinstance(obj, list):
        return ("", "", [_tree(item, namespaces) for item in obj])
    if not isinstance(obj, dict):
        return ("", _text(_prefixed(obj, namespaces, value=True)), [])
    name = obj.get("type", "")
    text = obj.get("#text", "")
    children: list[Any] = []
    for key, val in obj.items():
        if key in ("#text", "rdfs:comment", "comment"):
            continue
        child = _tree(val, namespaces)
        key = _prefixed(key, namespaces)
        if isinstance(val, list):
            children.extend((key, element[1], element[2]) for element in child[2])
        else:
            children.append((key, child[1], child[2]))
    if not any(k in obj for k in UNSORTED):
        children.sort()
    return (name, text, children)


def _structure(node: Node) -> Node:
    """Rename and regroup what the JSON binding leaves out (list element names, childEPCs)."""
    children = list(node[2]) if len(node) > 2 else []
    lists: dict[str, list[Node]] = {}
    for element in [e for e in children if not isinstance(e[0], tuple) and e[0].endswith("List")]:
        lists.setdefault(element[0], []).append((element[0][:-4], element[1], element[2]))
        children.remove(element)
    for name, elements in lists.items():
        if name in ("sourceList", "destinationList", "bizTransactionList"):
            children.append((name, "", [tuple(e[2][:2]) for e in elements]))  # the reference keeps two
        else:
            children.append((name, "", elements))
    epcs: list[Node] = [("epc", e[1], []) for e in children if e[0] == "childEPCs"]
    children = [e for e in children if e[0] != "childEPCs"]
    if epcs:
        children.append(("childEPCs", "", epcs))
    fixed = [e if e[0] in ("sourceList", "destinationList", "bizTransactionList") else _structure(e)
             for e in children]
    name = node[0]
    if name in ("inputEPC", "outputEPC"):
        name = "epc"
    elif name in ("inputQuantity", "outputQuantity", "childQuantity") or (name == "quantity" and fixed):
        name = "quantityElement"
    return (name, node[1], fixed)


# --- bare vocabulary words (the JSON-LD context's @vocab terms) ---------------------------------
VOCABULARY = {"bizStep": CBV + "BizStep-", "disposition": CBV + "Disp-", "set": CBV + "Disp-",
              "unset": CBV + "Disp-"}
LIST_VOCABULARY = {"bizTransactionList": CBV + "BTT-", "sourceList": CBV + "SDT-", "destinationList": CBV + "SDT-"}


def _vocabulary(events: list[Any]) -> set[str]:
    """Return the Web URIs that bare words in the events expand to."""
    found: set[str] = set()

    def word(value: Any, base: str) -> None:
        if isinstance(value, str) and value and ":" not in value:
            found.add(base + value)

    def walk(obj: Any) -> None:
        if isinstance(obj, list):
            for item in obj:
                walk(item)
        elif isinstance(obj, dict):
            for key, val in obj.items():
                if key in VOCABULARY:
                    for item in val if isinstance(val, list) else [val]:
                        word(item, VOCABULARY[key])
                if key in LIST_VOCABULARY and isinstance(val, list):
                    for item in val:
                        word(item.get("type") if isinstance(item, dict) else None, LIST_VOCABULARY[key])
                if key == "sensorReport" and isinstance(val, list):
                    for item in val:
                        for field in ("type", "exception"):
                            word(item.get(field) if isinstance(item, dict) else None, "https://gs1.org/voc/")
                walk(val)

    walk(events)
    return found


def _replace_bare(obj: Any, expanded: set[str]) -> Any:
    if isinstance(obj, str):
        matches = [x for x in expanded if x.endswith("-" + obj) or x.endswith("/" + obj)]
        return matches[0] if len(matches) == 1 else obj
    if isinstance(obj, list):
        return [_replace_bare(item, expanded) for item in obj]
    if isinstance(obj, dict):
        return {key: _replace_bare(val, expanded) for key, val in obj.items()}
    return obj


# --- the pre-hash string -------------------------------------------------------------------------
def _time(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    moment = moment.astimezone(dt.UTC)
    moment += dt.timedelta(microseconds=round(moment.microsecond, -3) - moment.microsecond)  # may carry a second
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _numeric(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if number == int(number):
        return str(int(number))
    return str(number)


def canonical_value(text: str) -> str:
    """Return a value in canonical form: CBV Web URIs, plain numbers, GS1 Digital Link URIs."""
    for urn, web in WEB_VOCABULARY:
        text = text.replace(urn, web)
    try:
        text = _numeric(text)
    except OverflowError:  # inf: not a number the reference can write either
        pass
    return dl_normal(text) or text


def _child(child: Node, order: Any) -> str:
    grandchildren = _in_order(child[2], order) if order else ""
    text = ""
    if child[1]:
        text = child[1].strip()
        name = child[0].lower()
        text = _time(text) if "time" in name and "offset" not in name else canonical_value(text)
        if text:
            text = "=" + text
    return child[0] + text + grandchildren if text or grandchildren else ""


def _in_order(children: list[Any], order: list[tuple[Any, Any]]) -> str:
    """Write the children the order names, in order, removing each one it writes completely."""
    pre = ""
    extensions = _extensions(children)
    for name, sub_order in order:
        values = []
        for child in [x for x in children if x[0] == name]:
            text = _child(child, sub_order)
            if text:
                values.append(text)
            if len(child[2]) == 0:
                children.remove(child)
        values.sort()
        if "".join(values):
            pre = "".join([pre, *values]) if pre else "".join(values)
    if extensions:
        pre += _generic(extensions)
    return pre


def _extensions(children: list[Any]) -> list[Any]:
    """Take out the user extensions of a nested element (they follow its ordered fields)."""
    if len(children) <= 1 or any("eventTime" in c[0] or "action" in c[0] for c in children if isinstance(c[0], str)):
        return []
    found = [c for c in children if isinstance(c, tuple) and isinstance(c[0], str) and "{" in c[0] and "/}" in c[0]]
    for c in found:
        children.remove(c)
    return found


def _generic(children: list[Any]) -> str:
    values = []
    for child in children:
        if isinstance(child, tuple) and child and isinstance(child[0], tuple):  # a (type, party) group
            values.append(_generic(list(child)))
        else:
            text = child[1].strip()
            if text:
                text = "=" + canonical_value(text)
            values.append(child[0] + text + _generic(child[2]))
    if len(children) > 1 and not any(c[0] in UNSORTED for c in children):
        values.sort()
    return "".join(values)


def _leftovers(children: list[Any]) -> str:
    rest = [c for c in children if c[0] not in IGNORED]
    return _generic(rest) if rest else ""
