"""The OpenAPI 3 document, built from the route registry, and a docs page from local assets."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify, render_template

from trace.api import stage_docs
from trace.api.base import ROUTES, RouteDoc, api
from trace.schemas import common
from trace.schemas.common import MAX_ROW_ID

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {
    "int": {"type": "integer"},
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
    "uuid": {"type": "string", "format": "uuid"},
    None: {"type": "string"},
}
_ERROR_TEXT = {
    400: "Malformed request", 401: "Missing or bad token", 403: "Not allowed for this role or organization",
    404: "Not found", 409: "Conflicts with recorded data", 413: "Body too large",
    415: "Not a media type it takes (application/json; capture also application/ld+json)",
    422: "Invalid fields (see errors)",
}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = [
        {"in": "path", "name": name, "required": True, "schema": _PARAM_TYPES.get(conv, {"type": "string"})}
        for conv, name in _CONVERTER.findall(rule)
    ]
    return "/api/v1" + _CONVERTER.sub(r"{\2}", rule), params


def _operation(doc: RouteDoc) -> dict[str, Any]:
    path, params = _path(doc.rule)
    op: dict[str, Any] = {"summary": doc.summary, "tags": [doc.tag], "operationId": f"{doc.method.lower()}{path}"}
    if doc.query is not None:
        op["parameters"] = [{"in": "query", "schema": doc.query}]
    if params:
        op.setdefault("parameters", []).extend(params)
    if doc.body is not None or doc.consumes != ("application/json",):
        body: Any = doc.body if doc.body is not None else {"type": "object"}
        op["requestBody"] = {"required": True, "content": {media: {"schema": body} for media in doc.consumes}}
    success: dict[str, Any] = {"description": "OK" if doc.status == 200 else "Created"}
    if doc.response is not None:
        schema: Any = {"type": "array", "items": doc.response} if doc.many else doc.response
        if doc.many:
            schema = {"type": "object", "properties": {"items": schema}}
        success["content"] = {doc.produces: {"schema": schema}}
    responses: dict[str, Any] = {str(doc.status): success}
    for status in doc.errors or ((401,) if doc.auth else ()):
        responses[str(status)] = {"$ref": "#/components/responses/Problem", "description": _ERROR_TEXT[status]}
    op["responses"] = responses
    if not doc.auth:
        op["security"] = []
    return op


@cache
def build_spec(version: str = "1.0.0") -> dict[str, Any]:
    """Return the OpenAPI document as a dict."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Suyuan (溯源) traceability API", version=version, openapi_version="3.0.3",
                   plugins=[plugin], info={"description": "Records, lineage and public lookups for farm products."})
    plugin.map_to_openapi_type(common.Measurement, "string", "decimal")
    plugin.map_to_openapi_type(common.TraceCode, "string", None)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.response("Problem", {
        "description": "RFC 9457 problem details",
        "content": {"application/problem+json": {"schema": {
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("type", "title", "detail", "instance")}
            | {"status": {"type": "integer"}, "errors": {"type": "object"}},
        }}},
    })
    by_path: dict[str, dict[str, Any]] = {}
    for doc in ROUTES:
        path, _ = _path(doc.rule)
        by_path.setdefault(path, {})[doc.method.lower()] = _operation(doc)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    out = spec.to_dict()
    out["security"] = [{"bearer": []}]
    return out


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
    fields = [{"name": field, "type": _type_of(prop), "required": field in schema.get("required", []),
               "description": prop.get("description", "")}
              for field, prop in schema.get("properties", {}).items()]
    return {"media": media, "schema": name, "fields": fields}


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
