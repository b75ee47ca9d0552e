"""The OpenAPI document and the docs page."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from trace.api import ROUTES

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PATH_ITEM_KEYS = HTTP_METHODS | {"summary", "description", "servers", "parameters", "$ref"}
PARAM_LOCATIONS = {"query", "header", "path", "cookie"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def openapi_problems(doc: dict[str, Any]) -> list[str]:
    """Return what makes doc an invalid OpenAPI 3.0 document (the rules an API client relies on)."""
    problems = []
    if not re.fullmatch(r"3\.0\.\d+", str(doc.get("openapi"))):
        problems.append("openapi must be 3.0.x")
    info = doc.get("info", {})
    if not isinstance(info.get("title"), str) or not isinstance(info.get("version"), str):
        problems.append("info needs a title and a version")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for requirement in doc.get("security", []):
        problems += [f"unknown security scheme {name}" for name in requirement if name not in schemes]
    operation_ids = []
    for path, item in doc.get("paths", {}).items():
        if not path.startswith("/"):
            problems.append(f"{path}: a path starts with /")
        problems += [f"{path}: unknown key {key}" for key in item if key not in PATH_ITEM_KEYS]
        templated = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            operation_ids.append(op.get("operationId"))
            params = [_resolve(doc, p["$ref"]) if "$ref" in p else p for p in op.get("parameters", [])]
            for p in params:
                if not p.get("name") or p.get("in") not in PARAM_LOCATIONS:
                    problems.append(f"{where}: a parameter needs a name and a valid 'in'")
                if ("schema" in p) == ("content" in p):
                    problems.append(f"{where}: parameter {p.get('name')} needs schema or content")
                if p.get("in") == "path" and p.get("required") is not True:
                    problems.append(f"{where}: path parameter {p.get('name')} must be required")
            declared = {p["name"] for p in params if p.get("in") == "path"}
            if declared != templated:
                problems.append(f"{where}: path parameters {sorted(declared)} != template {sorted(templated)}")
            seen = [(p.get("name"), p.get("in")) for p in params]
            if len(seen) != len(set(seen)):
                problems.append(f"{where}: a parameter is listed twice")
            body = op.get("requestBody")
            if body is not None and not body.get("content"):
                problems.append(f"{where}: requestBody needs content")
            responses = op.get("responses") or {}
            if not responses:
                problems.append(f"{where}: no responses")
            for code, response in responses.items():
                if not (code == "default" or re.fullmatch(r"[1-5](\d\d|XX)", code)):
                    problems.append(f"{where}: bad response code {code}")
                if "$ref" not in response and not isinstance(response.get("description"), str):
                    problems.append(f"{where}: response {code} needs a description")
    if len(operation_ids) != len(set(operation_ids)) or None in operation_ids:
        problems.append("operationIds must be present and unique")
    for ref in _refs(doc):
        try:
            _resolve(doc, ref)
        except (KeyError, TypeError, AssertionError):
            problems.append(f"dangling $ref {ref}")
    return problems


@pytest.fixture()
def spec(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    return r.json


def test_openapi_document_is_valid(spec):
    assert openapi_problems(spec) == []


@pytest.mark.parametrize(
    "breakage",
    [lambda d: d.update(openapi="2.0"),
     lambda d: d["paths"]["/api/v1/batches/{code}"]["get"]["parameters"].clear(),
     lambda d: d["paths"]["/api/v1/batches"]["post"].update(responses={}),
     lambda d: d["paths"]["/api/v1/batches"]["post"]["requestBody"]["content"]["application/json"].update(
         schema={"$ref": "#/components/schemas/Nowhere"}),
     lambda d: d["paths"]["/api/v1/batches"]["get"].update(operationId=d["paths"]["/api/v1/batches"]["post"]
                                                          ["operationId"])],
    ids=["swagger-2", "missing-path-parameter", "no-responses", "dangling-ref", "duplicate-operation-id"],
)
def test_the_validity_check_catches_broken_documents(spec, breakage):
    broken = copy.deepcopy(spec)
    breakage(broken)
    assert openapi_problems(broken)


def test_every_registered_route_is_documented(spec):
    assert ROUTES
    for doc in ROUTES:
        path = "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", doc.rule)
        assert path in spec["paths"], path
        op = spec["paths"][path][doc.method.lower()]
        assert op["summary"] == doc.summary
        assert str(doc.status) in op["responses"]
        if doc.body is not None:
            assert "application/json" in op["requestBody"]["content"]
        if not doc.auth:
            assert op["security"] == []
    documented = {(p, m) for p, item in spec["paths"].items() for m in item if m in HTTP_METHODS}
    assert len(documented) == len(ROUTES)


def test_write_operations_document_their_failures(spec):
    for item in spec["paths"].values():
        for method, op in item.items():
            if method in ("post", "delete"):
                assert "401" in op["responses"], op["operationId"]
    events = spec["paths"]["/api/v1/events"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409", "413", "415", "422"} <= set(events)
    assert spec["components"]["responses"]["Problem"]["content"]["application/problem+json"]


def test_docs_page_uses_only_local_assets(client, spec):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    for path in ("/api/v1/batches", "/api/v1/transformations"):
        assert path in html
    links = re.findall(r"""(?:src|href|action|poster|data)\s*=\s*["']([^"']*)["']""", html, flags=re.I)
    assert links
    external = [url for url in links if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, flags=re.I)]
    assert external == []
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html, flags=re.I)
    assert "@import" not in html
    for url in links:
        if url.startswith("/"):
            with client.get(url) as asset:
                assert asset.status_code == 200, url


def docs_examples(client) -> list[tuple[str, str, dict[str, Any]]]:
    """Return (stage, path, body) of every example body on the docs page."""
    import html
    import json

    page = client.get("/api/v1/docs").get_data(as_text=True)
    found = re.findall(r'<pre class="example" data-path="([^"]+)" data-stage="([^"]+)">(.*?)</pre>', page, flags=re.S)
    return [(stage, path, json.loads(html.unescape(body))) for path, stage, body in found]


def test_the_docs_page_shows_an_example_body_for_every_stage_a_client_records(client):
    from trace.schemas.events import EventIn, TransformationIn
    from trace.stages import STAGES

    examples = docs_examples(client)
    recorded = {s.name for s in STAGES.values() if not s.service_only and not s.recorded_through}
    assert {stage for stage, _, _ in examples} == recorded
    for stage, path, body in examples:
        assert body["stage"] == stage
        schema = TransformationIn() if path == "/api/v1/transformations" else EventIn()
        assert schema.validate(body) == {}, stage
        assert STAGES[stage].loader.validate(body["data"]) == {}, stage
        assert (path == "/api/v1/transformations") == STAGES[stage].transformation_only


def test_an_example_body_records_as_it_is_given_a_batch(client, make):
    import uuid

    producer = make.actor("producer")
    batch = make.batch(producer)
    (body,) = [b for stage, _, b in docs_examples(client) if stage == "planting"]
    r = client.post("/api/v1/events", json={**body, "id": str(uuid.uuid4()), "batches": [batch.trace_code]},
                    headers=producer.headers)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert body["data"].items() <= r.json["data"].items()


def test_the_docs_page_lists_each_operation_s_fields_and_parameters(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    events = page[page.index("<code>/api/v1/events</code></h2>"):]
    events = events[:events.index("</section>")]
    for field in ("occurredAt", "batches", "stage", "data"):
        assert f"<code>{field}</code>" in events
    assert 'href="#stages"' in events
    labels = page[page.index("<code>/api/v1/batches/{code}/labels.pdf</code></h2>"):]
    labels = labels[:labels.index("</section>")]
    assert "<code>layout</code>" in labels and "thermal-50x30" in labels
    planting = page[page.index('id="stage-planting"'):]
    assert "<code>plot</code>" in planting[:planting.index("</section>")]
