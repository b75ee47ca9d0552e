"""The two keys every stage's data may carry besides its own fields: ``extra`` and ``templates``.

``extra`` holds the values of the category template's extra fields (name → value);
``templates`` names the template version each category was validated against (code → version).
Both are checked against the template by trace/services/catalog/templates.py; here only their shape.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate

FIELD_NAME = r"^[a-z][A-Za-z0-9_]{0,63}$"
CATEGORY_CODE = r"^[a-z][a-z0-9_]{1,31}$"


class TemplateKeys(Schema):
    extra = fields.Dict(keys=fields.String(validate=validate.Regexp(FIELD_NAME)), values=fields.Raw(allow_none=True))
    templates = fields.Dict(
        keys=fields.String(validate=validate.Regexp(CATEGORY_CODE)),
        values=fields.Integer(strict=True, validate=validate.Range(min=1)),
    )


@functools.cache
def with_template_keys(schema: type[Schema]) -> type[Schema]:
    """Return the stage schema with ``extra`` and ``templates`` added (one class per stage schema)."""
    return type(schema.__name__, (TemplateKeys, schema), {"__doc__": schema.__doc__})


BUILT_IN_KEYS = frozenset(TemplateKeys._declared_fields)


def canonical_decimal(value: Decimal) -> str:
    """Return a decimal in the records' canonical form: plain, no exponent, no trailing zeros, no -0."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


# The stages of template versions, by (category code, version): what pages and exports label with.
NamedTemplates = dict[tuple[str, int], list[dict[str, Any]]]


def extra_definitions(stage: str, data: Any, templates: NamedTemplates) -> list[dict[str, Any]]:
    """Return the extra field definitions that apply to a record's data: those of the versions it names."""
    named = data.get("templates") if isinstance(data, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for code, version in sorted((named or {}).items()):
        for step in templates.get((code, version), []):
            if step.get("stage") == stage:
                for definition in step.get("fields", []):
                    found.setdefault(definition["name"], definition)
    return list(found.values())
