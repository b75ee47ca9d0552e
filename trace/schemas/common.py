"""Fields shared by several schemas."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from trace.codes.tracecode import TraceCodeError, parse_trace_code
from trace.ledger.numbers import GrammarError, canonical_decimal, check_text

# UN/ECE Recommendation 20 unit codes used for farm products.
UNITS = {
    "KGM": ("千克", "kilogram"),
    "GRM": ("克", "gram"),
    "TNE": ("吨", "tonne"),
    "LTR": ("升", "litre"),
    "MLT": ("毫升", "millilitre"),
    "H87": ("件", "piece"),
    "DZN": ("打", "dozen"),
    "BX": ("箱", "box"),
    "BG": ("袋", "bag"),
    "CT": ("纸箱", "carton"),
    "PK": ("包", "pack"),
    "HD": ("头", "head"),
}
# SQLite keeps NUMERIC values as 8-byte floats, exact to 15 significant digits: with 6 decimal
# places that leaves 9 before the point, so every quantity accepted round-trips exactly.
MAX_QUANTITY = Decimal(10) ** 9
STORED_PLACES = 6
# Clocks on phones and scanners drift; tolerate this much of the future.
CLOCK_SKEW = dt.timedelta(minutes=5)


class Measurement(fields.Field):
    """A signed exact decimal in the records' number grammar (``trace.ledger.numbers``).

    Loads a string or JSON number into a Decimal; refuses anything outside the grammar rather
    than rounding it; dumps the canonical string ("1.50E1", 15 and "15.0" all dump as "15").
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        try:
            return Decimal(canonical_decimal(value))
        except GrammarError as exc:
            raise ValidationError(str(exc)) from exc

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return canonical_decimal(value)


class Quantity(Measurement):
    """A positive exact decimal in the number grammar; dumped canonically."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=Decimal(0), min_inclusive=False))
        super().__init__(**kwargs)


class BatchQuantity(Quantity):
    """A quantity a batch stores: the grammar's subset of at most 6 decimals, below ``MAX_QUANTITY``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        number = super()._deserialize(value, attr, data, **kwargs)
        if number.as_tuple().exponent < -STORED_PLACES:  # type: ignore[operator]
            raise ValidationError(
                f"批次数量最多 {STORED_PLACES} 位小数。 A batch quantity has at most {STORED_PLACES} decimals."
            )
        if abs(number) >= MAX_QUANTITY:
            raise ValidationError(f"批次数量须小于 {MAX_QUANTITY:,}。 Quantity must be below {MAX_QUANTITY:,}.")
        return number


class Text(fields.String):
    """Free text in the records' text grammar: no control characters but tab and line feed, no lone
    surrogates, at most ``max_len`` characters (``multiline``: CR too, as browsers send CR LF).

    ``min_len`` 1 by default: an empty or blank string is refused (leave the field out instead);
    surrounding spaces are kept as sent, never stripped.
    """

    def __init__(self, max_len: int = 200, *, min_len: int = 1, multiline: bool = False, **kwargs: Any) -> None:
        kwargs["metadata"] = {"minLength": min_len, "maxLength": max_len, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.max_len, self.min_len, self.multiline = max_len, min_len, multiline

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            check_text(text, self.max_len, multiline=self.multiline)
        except GrammarError as exc:
            raise ValidationError(str(exc)) from exc
        if len(text) < self.min_len or (self.min_len and not text.strip()):
            raise ValidationError(f"不能为空。 Shorter than minimum length {self.min_len}, or blank.")
        return text


# Row ids are PostgreSQL integers; a larger number must be a 4xx, not a database error.
MAX_ROW_ID = 2**31 - 1


# Log indices and tree sizes: JSON-safe integers (the log's BigInteger holds them; JCS writes them exactly).
MAX_LOG_INDEX = 2**53 - 1
# Pages of a listing: (page - 1) * perPage stays a small 64-bit offset on both engines.
MAX_PAGE = MAX_ROW_ID
_WHOLE = re.compile(r"-?[0-9]{1,18}\Z")


class WholeNumber(fields.Integer):
    """An integer from a query string, a form or JSON: in a string only ASCII digits and a leading minus.

    Python's ``int()`` takes ``"1_000"``, ``" 5"`` and ``"٥"``; none of them is a number a client means.
    More than 18 digits is refused before conversion; give a ``validate.Range`` for the field's bounds.
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not _WHOLE.match(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


def bounded(low: int, high: int, **kwargs: Any) -> WholeNumber:
    """Return a whole-number field between ``low`` and ``high`` (inclusive)."""
    kwargs.setdefault("validate", validate.Range(min=low, max=high))
    return WholeNumber(**kwargs)


class RowId(WholeNumber):
    """A reference to a row by id (strict: a JSON integer, unless told otherwise for query strings)."""

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ROW_ID))
        super().__init__(strict=strict, **kwargs)


class RecordRef(fields.String):
    """A reference to a record (an event) by its id: a UUID, stored in its canonical lowercase form."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(uuid.UUID(text))
        except ValueError as exc:
            raise ValidationError("Not a record id (a UUID).") from exc


class Unit(fields.String):
    """A UN/ECE Rec 20 unit code."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.OneOf(sorted(UNITS)), **kwargs)


class TraceCode(fields.String):
    """A trace code, normalized; typos are rejected by the check character."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_trace_code(text)
        except TraceCodeError as exc:
            raise ValidationError(str(exc)) from exc


RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)\Z")


class OffsetDateTime(fields.AwareDateTime):
    """An RFC 3339 time with an offset; loaded in UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, str) and "T" not in value.upper():
            raise ValidationError("Use an RFC 3339 date-time such as 2026-05-01T08:30:00+08:00.")
        try:
            if isinstance(value, str) and RFC3339.match(value):  # the common case, without marshmallow's regexes
                try:
                    return dt.datetime.fromisoformat(value.upper()).astimezone(dt.UTC)
                except ValueError:
                    pass  # e.g. month 13: marshmallow's message says what is wrong
            return super()._deserialize(value, attr, data, **kwargs).astimezone(dt.UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise ValidationError("Time is out of range.") from exc

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        """Dump in UTC with ``Z``: the canonical form of a time in a record."""
        return None if value is None else _utc_text(value)


class PastDateTime(OffsetDateTime):
    """An RFC 3339 time with an offset, not in the future; loaded in UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment > dt.datetime.now(dt.UTC) + CLOCK_SKEW:
            raise ValidationError("Time is in the future.")
        return moment


class UTCDateTimeOut(fields.DateTime):
    """Dump a stored time as RFC 3339 in UTC."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


Dumper = Callable[[dict[str, Any]], dict[str, Any]]


def canonical_dumper(schema: Schema) -> Dumper:
    """Return a function equal to ``schema.dump`` on what ``schema.load`` returned, at a fraction of its cost.

    Records are stored and signed as the dump of their loaded data; the bulk path dumps
    thousands per request. Plain text and integer fields pass through, numbers and times take
    their canonical form, nested schemas and lists of them recurse (as do fields, like the
    temperature series, that name their item fields in ``FIELDS``); any other field dumps itself.
    """
    plan: list[tuple[str, str, Callable[[Any], Any] | None]] = []
    for name, field in schema.dump_fields.items():
        convert: Callable[[Any], Any] | None
        if isinstance(field, Measurement):
            convert = canonical_decimal
        elif isinstance(field, OffsetDateTime):
            convert = _utc_text
        elif type(field) in (fields.String, fields.Integer, Text, Unit, RowId):
            convert = None
        elif isinstance(field, fields.Nested) and not field.many:
            convert = canonical_dumper(field.schema)
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested) and not field.inner.many:
            convert = _each(canonical_dumper(field.inner.schema))
        elif isinstance(getattr(field, "FIELDS", None), dict):
            convert = _each(canonical_dumper(Schema.from_dict(field.FIELDS)()))  # type: ignore[attr-defined]
        else:
            convert = functools.partial(_serialized, field, name)
        plan.append((field.attribute or name, field.data_key or name, convert))

    def dump(loaded: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for attr, key, convert in plan:
            if attr in loaded:
                value = loaded[attr]
                out[key] = value if convert is None or value is None else convert(value)
        return out

    return dump


def _each(dump: Dumper) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda items: [dump(item) for item in items]


def _serialized(field: fields.Field, name: str, value: Any) -> Any:
    return field.serialize(name, {name: value})


def _utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class PageQuery(Schema):
    page = bounded(1, MAX_PAGE, load_default=1)
    per_page = bounded(1, 500, data_key="perPage", load_default=50)


def page_out(items: list[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    """Return a page envelope."""
    return {"items": items, "page": page, "perPage": per_page, "total": total}
