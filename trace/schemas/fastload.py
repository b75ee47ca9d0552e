"""A schema's ``load`` for the bulk paths: the same fields, validators and result, less of marshmallow's machinery.

``Schema.load`` spends about half its time on bookkeeping around the fields (error stores,
getters, partial and unknown handling, hook dispatch), which a 1,000-record request pays a
thousand times over. ``fast_loader(schema)`` returns a function that runs each declared field's
own ``deserialize`` (its type check, validators and nested schemas, exactly as ``load`` runs
them) and the schema's ``validates_schema`` checks, and hands anything that fails to
``schema.load`` itself, so a refused body gets marshmallow's complete error messages, word for
word. Schemas it cannot mirror (other hooks, ``unknown`` other than RAISE, ``many``, partial
loading, dotted attributes) always go through ``schema.load``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.fields import Field
from marshmallow.utils import missing

Loader = Callable[[Any], Any]
Deserialize = Callable[[Any, str, Any], Any]


def _step(field: Field) -> Deserialize:
    """Return how the fast load deserializes one field: a nested object by its schema's fast load, else the field."""
    if (type(field) is not fields.Nested or field.many or field.unknown not in (None, RAISE) or field.validators
            or field.pre_load or field.post_load):
        return field.deserialize
    inner = fast_loader(field.schema)

    def nested(value: Any, key: str, data: Any) -> Any:
        if value is missing or value is None:  # required, allow_none and defaults: as the field says
            return field.deserialize(value, key, data)
        return inner(value)  # a refusal sends the whole body to Schema.load, which words it

    return nested


def fast_loader(schema: Schema) -> Loader:
    """Return a function equal to ``schema.load`` (result and errors), faster on bodies it accepts."""
    hooks = {tag: found for tag, found in schema._hooks.items() if found}
    checks = hooks.pop("validates_schema", [])
    plan: list[tuple[str, str, Deserialize]] = []
    for attr, field in schema.load_fields.items():
        plan.append((field.data_key if field.data_key is not None else attr, field.attribute or attr, _step(field)))
    mirrored = (not hooks and schema.unknown == RAISE and not schema.many and not schema.partial
                and schema.dict_class is dict and all("." not in target for _, target, _ in plan)
                and all(not many and not kw.get("pass_original") and not kw.get("pass_collection")
                        for _, many, kw in checks))
    if not mirrored:
        return schema.load
    keys = frozenset(key for key, _, _ in plan)
    validators = [getattr(schema, name) for name, _, _ in checks]

    def load(data: Any) -> Any:
        if type(data) is not dict or not keys.issuperset(data):
            return schema.load(data)  # not a mapping, or unknown fields: refused with marshmallow's words
        out: dict[str, Any] = {}
        try:
            for key, target, step in plan:
                value = step(data.get(key, missing), key, data)
                if value is not missing:
                    out[target] = value
            for validator in validators:
                validator(out, partial=None, many=False, unknown=RAISE)
        except ValidationError:
            return schema.load(data)  # raises with every field's messages, as marshmallow words them
        return out

    return load


@functools.cache
def loader_of(schema_class: type[Schema]) -> Loader:
    """Return the fast load of one shared instance of a schema class (building a schema is slow)."""
    return fast_loader(schema_class())
