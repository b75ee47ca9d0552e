"""Field types several stages' schemas share: bounded text and temperature series."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from trace.schemas.common import Measurement, PastDateTime, Text


def text(max_len: int = 200, **kw: Any) -> Text:
    """Return a text field of 1 to ``max_len`` characters in the records' text grammar."""
    return Text(max_len, **kw)


class TemperatureReading(Schema):
    time = PastDateTime(required=True)
    celsius = Measurement(required=True, validate=validate.Range(min=Decimal(-80), max=Decimal(80)))


class TemperatureSeries(fields.Field):
    """A list of ``TemperatureReading``s, checked field by field without a nested schema per reading.

    Same rules and error shape as ``List(Nested(TemperatureReading))``, at a fifth of the cost:
    a logger's series can hold thousands of readings.
    """

    FIELDS = TemperatureReading._declared_fields

    def __init__(self, max_length: int = 10000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        if len(value) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        readings, errors = [], {}
        for i, item in enumerate(value):
            reading, problems = self._reading(item)
            if problems:
                errors[i] = problems
            readings.append(reading)
        if errors:
            raise ValidationError(errors)
        return readings

    def _reading(self, item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        if not isinstance(item, dict):
            return {}, {"_schema": ["Invalid input type."]}
        reading: dict[str, Any] = {}
        problems: dict[str, Any] = {}
        for name in item.keys() - self.FIELDS.keys():
            problems[name] = ["Unknown field."]
        for name, field in self.FIELDS.items():
            if name not in item:
                problems[name] = ["Missing data for required field."]
                continue
            try:
                reading[name] = field.deserialize(item[name], name, item)
            except ValidationError as exc:
                problems[name] = exc.messages
        return reading, problems

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        return [{name: field.serialize(name, reading) for name, field in self.FIELDS.items()} for reading in value]
