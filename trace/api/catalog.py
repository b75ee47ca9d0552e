"""Categories and products."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import created, current_user, json_body, ledger_config, load, load_query, route
from trace.db import db
from trace.schemas.catalog import CategoryIn, CategoryOut, ProductChange, ProductIn, ProductOut, ProductQuery
from trace.schemas.templates import TemplateIn, TemplateOut, TemplateQuery, TemplateVersionOut, stored_steps
from trace.services.catalog import catalog as svc
from trace.services.catalog import templates

TAG = "Catalog"


@route("/categories", "GET", "List categories with their stage templates", TAG,
       response=CategoryOut, many=True, auth=False)
def list_categories() -> Any:
    return jsonify(items=CategoryOut(many=True).dump(svc.list_categories(db.session())))


@route("/categories/<code>", "GET", "One category", TAG, response=CategoryOut, auth=False)
def get_category(code: str) -> Any:
    return jsonify(CategoryOut().dump(svc.get_category(db.session(), code)))


@route("/categories", "POST", "Add a category (admin)", TAG, body=CategoryIn, response=CategoryOut,
       status=201, errors=(401, 403, 409, 422))
def create_category() -> Any:
    user = current_user()
    category = svc.create_category(db.session(), user, load(CategoryIn(), json_body()))
    return created(CategoryOut().dump(category), Location=f"/api/v1/categories/{category.code}")


@route("/categories/<code>/template", "GET", "A category's current template, or ?version=N", TAG,
       response=TemplateOut, query=TemplateQuery, auth=False)
def get_template(code: str) -> Any:
    version = load_query(TemplateQuery()).get("version")
    return jsonify(TemplateOut().dump(templates.get_template(db.session(), code, version)))


@route("/categories/<code>/template/versions", "GET", "Every version of a category's template", TAG,
       response=TemplateVersionOut, many=True, auth=False)
def list_template_versions(code: str) -> Any:
    return jsonify(items=TemplateVersionOut(many=True).dump(templates.list_versions(db.session(), code)))


@route("/categories/<code>/template", "PUT",
       "Change a category's template (admin): makes the next version; unchanged content makes none", TAG,
       body=TemplateIn, response=TemplateOut, errors=(401, 403, 404, 409, 422))
def put_template(code: str) -> Any:
    user = current_user()
    steps = stored_steps(load(TemplateIn(), json_body())["stages"])
    template, _ = templates.put_template(db.session(), user, code, steps)
    return jsonify(TemplateOut().dump(template))


@route("/products", "GET", "List products (optionally ?organization=ID)", TAG, response=ProductOut, many=True,
       query=ProductQuery)
def list_products() -> Any:
    current_user()
    query = load_query(ProductQuery())
    return jsonify(items=ProductOut(many=True).dump(svc.list_products(db.session(), query.get("organization"))))


@route("/products", "POST", "Register a product of your organization (producer)", TAG,
       body=ProductIn, response=ProductOut, status=201, errors=(401, 403, 409, 422))
def create_product() -> Any:
    user = current_user()
    product = svc.create_product(db.session(), user, load(ProductIn(), json_body()), ledger=ledger_config())
    return created(ProductOut().dump(product), Location=f"/api/v1/products/{product.id}")


@route("/products/<id:product_id>", "GET", "One product", TAG, response=ProductOut)
def get_product(product_id: int) -> Any:
    current_user()
    return jsonify(ProductOut().dump(svc.get_product(db.session(), product_id)))


@route("/products/<id:product_id>", "PATCH", "Change a product's master data (name, English name, brands, "
       "certifications) of your organization: signed as a new product record, shown on every page of its batches",
       TAG, body=ProductChange, response=ProductOut, errors=(401, 403, 404, 422))
def change_product(product_id: int) -> Any:
    user = current_user()
    changes = load(ProductChange(), json_body())
    product = svc.change_product(db.session(), user, product_id, changes, ledger=ledger_config())
    return jsonify(ProductOut().dump(product))
