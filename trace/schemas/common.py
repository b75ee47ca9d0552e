"""Fields shared by several schemas."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from trace.codes.tracecode import TraceCodeError, parse_trace_code

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
# Clocks on phones and scanners drift; tolerate this much of the future.
CLOCK_SKEW = dt.timedelta(minutes=5)


class Quantity(fields.Decimal):
    """A positive exact decimal; dumped as a string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=Decimal(0), min_inclusive=False))
        super().__init__(as_string=True, allow_nan=False, **kwargs)

    def _validated(self, value: Any) -> Decimal:
        number = super()._validated(value)
        if number is not None and number.as_tuple().exponent < -6:  # type: ignore[operator]
            raise self.make_error("invalid")
        if number is not None and abs(number) >= MAX_QUANTITY:
            raise ValidationError(f"Quantity must be below {MAX_QUANTITY:,}.")
        return number  # type: ignore[return-value]

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        text = format(Decimal(value).normalize(), "f")
        return text


# Row ids are PostgreSQL integers; a larger number must be a 4xx, not a database error.
MAX_ROW_ID = 2**31 - 1


class RowId(fields.Integer):
    """A reference to a row by id (strict: a JSON integer, unless told otherwise for query strings)."""

    def __init__(self, *, strict: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ROW_ID))
        super().__init__(strict=strict, **kwargs)


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


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(data_key="perPage", load_default=50, validate=validate.Range(min=1, max=500))


def page_out(items: list[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    """Return a page envelope."""
    return {"items": items, "page": page, "perPage": per_page, "total": total}
