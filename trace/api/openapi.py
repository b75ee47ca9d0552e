"""The OpenAPI 3 document, built from the route registry, and a docs page from local assets."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify, render_template
from marshmallow import validate

from trace.api import stage_docs
from trace.api.base import ROUTES, SAFE_METHODS, RouteDoc, api
from trace.ledger.numbers import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, NUMBER_SYNTAX
from trace.schemas import common
from trace.schemas.common import MAX_LOG_INDEX, MAX_ROW_ID
from trace.stages import STAGES, transformation_stages

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {
    "int": {"type": "integer"},
    "index": {"type": "integer", "minimum": 0, "maximum": MAX_LOG_INDEX},
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
    "uuid": {"type": "string", "format": "uuid"},
    None: {"type": "string"},
}
_ERROR_TEXT = {
    400: "Malformed request", 401: "Missing or bad token", 403: "Not allowed for this role or organization",
    404: "Not found", 409: "Conflicts with recorded data", 413: "Body too large",
    415: "Not a media type the operation takes (see its request body)",
    422: "Invalid fields (see errors)", 429: "Too many requests from this address; retry after Retry-After seconds",
}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = [
        {"in": "path", "name": name, "required": True, "schema": _PARAM_TYPES.get(conv, {"type": "string"})}
        for conv, name in _CONVERTER.findall(rule)
    ]
    return "/api/v1" + _CONVERTER.sub(r"{\2}", rule), params


def _failures(doc: RouteDoc, has_path_params: bool) -> list[int]:
    """Return every error status an operation can answer, beyond the ones its route names."""
    codes = set(doc.errors) | {401}  # any request may carry a bad token, public operations too
    if has_path_params:
        codes.add(404)
    if doc.query is not None or has_path_params:
        codes.add(422)
    if doc.auth:
        codes.add(403)
    if doc.method not in SAFE_METHODS:
        codes |= {400, 409, 413, 415, 422}
    if doc.limited:
        codes.add(429)
    return sorted(codes)


def _operation(doc: RouteDoc) -> dict[str, Any]:
    path, params = _path(doc.rule)
    op: dict[str, Any] = {"summary": doc.summary, "tags": [doc.tag], "operationId": f"{doc.method.lower()}{path}"}
    if doc.query is not None:
        op["parameters"] = [{"in": "query", "schema": doc.query}]
    if params:
        op.setdefault("parameters", []).extend(params)
    if doc.body is not None or doc.consumes != ("application/json",):
        def body(media: str) -> Any:  # a file upload: the raw bytes of that type (OpenAPI 3.1 style)
            return doc.body if doc.body is not None else {"type": "string", "contentMediaType": media, "minLength": 1}

        op["requestBody"] = {"required": True, "content": {media: {"schema": body(media)} for media in doc.consumes}}
    success: dict[str, Any] = {"description": "OK" if doc.status == 200 else "Created"}
    if doc.response is not None:
        schema: Any = {"type": "array", "items": doc.response} if doc.many else doc.response
        if doc.many:
            schema = {"type": "object", "properties": {"items": schema}}
        success["content"] = {doc.produces: {"schema": schema}}
    responses: dict[str, Any] = {str(doc.status): success}
    if doc.replays:
        responses["200"] = {**success, "description": "Already recorded under this id: what the first request made"}
    for status in _failures(doc, bool(params)):
        responses[str(status)] = {"$ref": "#/components/responses/Problem", "description": _ERROR_TEXT[status]}
    op["responses"] = responses
    if not doc.auth:
        op["security"] = []
    return op


@cache
def build_spec(version: str = "1.0.0") -> dict[str, Any]:
    """Return the OpenAPI document as a dict."""
    plugin = MarshmallowPlugin(schema_name_resolver=_SchemaNames())
    spec = APISpec(title="Suyuan (溯源) traceability API", version=version, openapi_version="3.1.0",
                   plugins=[plugin], info={"description": "Records, lineage and public lookups for farm products."})
    plugin.map_to_openapi_type(common.TraceCode, "string", None)
    plugin.converter.add_attribute_function(_measurement)  # type: ignore[union-attr]
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.response("Problem", {
        "description": "RFC 9457 problem details",
        "content": {"application/problem+json": {"schema": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {k: {"type": "string"} for k in ("type", "title", "detail", "instance")}
            | {"status": {"type": "integer", "minimum": 400, "maximum": 599},
               "errors": {"type": "object", "description": "field name → messages (nested for nested fields)"}},
        }}},
    })
    for name, stage in STAGES.items():
        spec.components.schema(_stage_schema_name(name), schema=type(stage.loader))
    by_path: dict[str, dict[str, Any]] = {}
    for doc in ROUTES:
        path, _ = _path(doc.rule)
        by_path.setdefault(path, {})[doc.method.lower()] = _operation(doc)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    out = _numbers_as_numbers(spec.to_dict())
    schemas = out["components"]["schemas"]
    _select_by_stage(schemas, "EventIn", list(STAGES))
    _select_by_stage(schemas, "TransformationIn", sorted(transformation_stages()))
    out["security"] = [{"bearer": []}]
    return out


class _SchemaNames:
    """Name each schema class after itself; a second class of the same name gets its module's name in front."""

    def __init__(self) -> None:
        self.taken: dict[str, type] = {}

    def __call__(self, schema: Any) -> str:
        cls = schema if isinstance(schema, type) else type(schema)
        name = cls.__name__.removesuffix("Schema") or cls.__name__
        if self.taken.setdefault(name, cls) is not cls:
            name = cls.__module__.rsplit(".", 1)[-1].title().replace("_", "") + name
            self.taken.setdefault(name, cls)
        return name


def _stage_schema_name(stage: str) -> str:
    return "".join(part.title() for part in stage.split("_")) + "Data"


def _measurement(_converter: Any, field: Any, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A number of the records' grammar: a JSON number, or a string in JSON's number syntax.

    Its range bounds the number (JSON Schema applies them to numbers only; a string is checked by the server).
    """
    if not isinstance(field, common.Measurement):
        return {}
    ret.pop("x-minimum", None)
    ret.pop("x-maximum", None)
    out: dict[str, Any] = {
        "type": ["string", "number", "null"] if field.allow_none else ["string", "number"],
        "pattern": NUMBER_SYNTAX.pattern.removesuffix("\\Z").join("^$"),
        "description": f"at most {MAX_INTEGER_DIGITS} digits before the point and {MAX_FRACTION_DIGITS} after",
    }
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            if rule.min is not None:
                out["minimum" if rule.min_inclusive else "exclusiveMinimum"] = rule.min
            if rule.max is not None:
                out["maximum" if rule.max_inclusive else "exclusiveMaximum"] = rule.max
    return out


def _select_by_stage(schemas: dict[str, Any], name: str, stages: list[str]) -> None:
    """Make a record body one of its stages' variants, chosen by ``stage``, each with that stage's data schema."""
    base = schemas.pop(name)
    mapping = {}
    for stage in stages:
        variant = copy.deepcopy(base)
        variant["properties"]["stage"] = {"type": "string", "const": stage}
        variant["properties"]["data"] = {"$ref": f"#/components/schemas/{_stage_schema_name(stage)}"}
        variant_name = f"{name}{_stage_schema_name(stage).removesuffix('Data')}"
        schemas[variant_name] = variant
        mapping[stage] = f"#/components/schemas/{variant_name}"
    schemas[name] = {"oneOf": [{"$ref": ref} for ref in mapping.values()],
                     "discriminator": {"propertyName": "stage", "mapping": mapping}}


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _numbers_as_numbers(node: Any, key: str = "") -> Any:
    """Return the document with exact-decimal bounds (dumped as strings or Decimals) as JSON numbers."""
    if isinstance(node, dict):
        return {k: _numbers_as_numbers(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers_as_numbers(v) for v in node]
    if key in _BOUNDS and isinstance(node, str | Decimal):
        number = Decimal(node)
        return int(number) if number == number.to_integral_value() else float(number)
    return node


@api.get("/openapi.json")
def openapi_json() -> Any:
    return jsonify(build_spec())


@api.get("/docs")
def docs() -> Any:
    """The docs page: every operation with its parameters and body fields; every stage with an example body."""
    spec = build_spec()
    schemas = spec["components"]["schemas"]
    operations = [{"method": method, "path": path, "summary": op["summary"], "responses": list(op["responses"]),
                   "parameters": [p for p in op.get("parameters", []) if p["in"] in ("query", "path")],
                   **_body(op, schemas)}
                  for path, ops in spec["paths"].items() for method, op in ops.items()]
    stages = [{"name": stage.name, "label": str(stage.label), "fields": stage_docs.stage_fields(stage),
               "path": path, "example": json.dumps(body, ensure_ascii=False, indent=2)}
              for stage in stage_docs.recorded_stages() for path, body in [stage_docs.example_body(stage)]]
    return render_template("api_docs.html", spec=spec, operations=operations, stages=stages,
                           public_url=current_app.config["TRACE"].public_url)


def _body(op: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Return an operation's request body: media types, schema name and fields (name, type, required, description)."""
    body = op.get("requestBody")
    if body is None:
        return {}
    media = list(body["content"])
    ref = next(iter(body["content"].values()))["schema"].get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    schema = schemas.get(name, {})
    variants = [schemas.get(v.get("$ref", "").rsplit("/", 1)[-1], {}) for v in schema.get("oneOf", [])] or [schema]
    return {"media": media, "schema": name, "fields": _common_fields(variants)}


def _common_fields(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the fields every variant of a body has (of a plain body, its fields); a type that differs "by stage"."""
    first, *others = variants
    fields = []
    for field, prop in first.get("properties", {}).items():
        props = [prop, *(other.get("properties", {}).get(field) for other in others)]
        if any(p is None for p in props):
            continue
        types = {_type_of(p) for p in props if p is not None}
        fields.append({"name": field, "type": types.pop() if len(types) == 1 else "one per stage",
                       "required": all(field in v.get("required", []) for v in variants),
                       "description": prop.get("description", "")})
    return fields


def _type_of(prop: dict[str, Any]) -> str:
    """Return a short type for a property: its type and format, the schema it refers to, or its allowed values."""
    if "$ref" in prop or "allOf" in prop or "anyOf" in prop:
        refs = [p.get("$ref", "") for p in [prop, *prop.get("allOf", []), *prop.get("anyOf", [])]]
        return next((r.rsplit("/", 1)[-1] for r in refs if r), "object")
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    text = str(prop.get("type", "value")) + (f" ({prop['format']})" if prop.get("format") else "")
    if prop.get("enum") and len(prop["enum"]) <= 12:
        text += ": " + ", ".join(map(str, prop["enum"]))
    return text
