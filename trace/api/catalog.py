"""Categories and products."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api import created, current_user, json_body, ledger_config, load, load_query, route
from trace.db import db
from trace.schemas.catalog import CategoryIn, CategoryOut, ProductIn, ProductOut, ProductQuery
from trace.services import catalog as svc

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
