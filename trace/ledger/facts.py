"""Batch facts against their signed registration: the one comparison the audit, the page and the bundle verifiers use.

Facts are in the form a ``registration`` record's data holds them (``product`` as the product's
id, ``quantity`` a canonical decimal string, ``producedAt`` RFC 3339 in UTC, ``origin`` an
object with decimal strings). Corrections (``correction`` records naming the registration) apply
their ``fields`` in log order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The batch facts a registration record fixes, by the record's data key.
BATCH_FACTS = ("product", "organization", "lot", "quantity", "uom", "origin", "producedAt")
# The product facts a product record fixes, by the record's data key.
PRODUCT_FACTS = ("category", "name", "nameEn", "gtin", "brand", "regionalBrand", "certifications", "photo")


def corrected(registration: dict[str, Any], corrections: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Return a registration's facts with its corrections applied in order, ``product`` as its id."""
    facts = dict(registration)
    for correction in corrections:
        facts.update(correction.get("fields") or {})
    product = facts.get("product")
    facts["product"] = product.get("id") if isinstance(product, dict) else product
    return {name: facts.get(name) for name in BATCH_FACTS}


def fact_differences(shown: dict[str, Any], registration: dict[str, Any] | None,
                     corrections: Iterable[dict[str, Any]] = ()) -> list[str]:
    """Return the facts ``shown`` (in registration form) that differ from the signed registration after corrections.

    ``["registration"]`` when there is no registration to compare with.
    """
    if registration is None:
        return ["registration"]
    signed = corrected(registration, corrections)
    return [name for name in BATCH_FACTS if _plain(shown.get(name)) != _plain(signed.get(name))]


def product_fact_differences(shown: dict[str, Any], record: dict[str, Any] | None) -> list[str]:
    """Return the product facts ``shown`` that differ from its signed product record (``["product"]``: none)."""
    if record is None:
        return ["product"]
    return [name for name in PRODUCT_FACTS if _plain(shown.get(name)) != _plain(record.get(name))]


def _plain(value: Any) -> Any:
    """Return a value as JSON carries it, absent and null alike (a missing origin is no origin)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None} or None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
