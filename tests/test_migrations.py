"""Migrations: `flask db upgrade` on an empty database builds exactly the models' schema, and back."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from tests.helpers import POSTGRES_URL, make_config
from trace import create_app
from trace.config import REPO_ROOT
from trace.db import db

SCHEMA = "suyuan_migration_test"


@pytest.fixture()
def fresh_app(engine_name: str) -> Iterator[Flask]:
    """An app on an empty database: a new SQLite file, or a new schema on the shared PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="suyuan-migrate-") as tmp:
        config = make_config(engine_name, Path(tmp))
        if engine_name == "postgresql":
            assert POSTGRES_URL
            admin = sa.create_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
            config = config.with_(database_url=f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMA}")
        app = create_app(config)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()
            if engine_name == "postgresql":
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                admin.dispose()


def flask_db(app: Flask, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)


def differences(app: Flask) -> list[Any]:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def tables(app: Flask) -> set[str]:
    with app.app_context(), db.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    script = ScriptDirectory(str(REPO_ROOT / "migrations"))
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    return heads[0]


def test_migrations_form_one_line():
    script = ScriptDirectory(str(REPO_ROOT / "migrations"))
    revisions = list(script.walk_revisions())
    assert revisions
    assert [r.revision for r in revisions if r.down_revision is None] == [revisions[-1].revision]
    assert head() == revisions[0].revision


def test_upgrade_head_matches_the_models(fresh_app):
    assert tables(fresh_app) == set()
    flask_db(fresh_app, "upgrade")
    assert current_revision(fresh_app) == head()
    assert tables(fresh_app) == set(db.metadata.tables) | {"alembic_version"}
    assert differences(fresh_app) == []


def test_downgrade_to_base_then_upgrade_again(fresh_app):
    flask_db(fresh_app, "upgrade")
    flask_db(fresh_app, "downgrade", "base")
    assert tables(fresh_app) <= {"alembic_version"}
    assert current_revision(fresh_app) is None
    flask_db(fresh_app, "upgrade")
    assert current_revision(fresh_app) == head()
    assert differences(fresh_app) == []


def test_the_comparison_notices_a_difference(fresh_app):
    """Guard the guard: a schema that lacks a model's column is reported."""
    flask_db(fresh_app, "upgrade")
    with fresh_app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    assert any(diff[0] == "remove_table" for diff in differences(fresh_app))


def test_the_test_database_is_at_head(app):
    assert current_revision(app) == head()
    assert differences(app) == []


def test_existing_templates_become_version_1_and_the_seeded_fields_version_2(fresh_app):
    from sqlalchemy.dialects import postgresql

    from trace.services.catalog.template_seeds import EXTRA_FIELDS

    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    old = sa.Table("categories", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("code", sa.String),
                   sa.Column("name_zh", sa.String), sa.Column("name_en", sa.String), sa.Column("template", json_type))
    tea = [{"stage": "planting", "requires": ["plot"]}, {"stage": "harvest", "requires": ["quantity"]}]
    honey = [{"stage": "harvest", "requires": []}]
    flask_db(fresh_app, "upgrade", "t3logtip")
    with fresh_app.app_context(), db.engine.begin() as conn:
        conn.execute(old.insert(), [{"code": "tea", "name_zh": "茶叶", "name_en": "Tea", "template": tea},
                                    {"code": "honey", "name_zh": "蜂蜜", "name_en": "Honey", "template": honey}])
    flask_db(fresh_app, "upgrade")
    with fresh_app.app_context(), db.engine.connect() as conn:
        current = dict(conn.execute(sa.text("SELECT code, template_version FROM categories")).all())
        versions = {(code, v): stages for code, v, stages in conn.execute(sa.text(
            "SELECT c.code, t.version, t.stages FROM category_templates t JOIN categories c ON c.id = t.category_id"))}
    assert current == {"tea": 2, "honey": 1}
    as_json = {k: v if isinstance(v, list) else json.loads(v) for k, v in versions.items()}
    assert as_json[("tea", 1)] == [{**step, "fields": []} for step in tea]
    assert as_json[("tea", 2)] == [{**step, "fields": EXTRA_FIELDS["tea"].get(step["stage"], [])} for step in tea]
    assert as_json[("honey", 1)] == [{**step, "fields": []} for step in honey]
    assert set(as_json) == {("tea", 1), ("tea", 2), ("honey", 1)}
    flask_db(fresh_app, "downgrade", "t3logtip")
    with fresh_app.app_context(), db.engine.connect() as conn:
        restored = dict(conn.execute(sa.select(old.c.code, old.c.template)).all())
    assert restored == {"tea": tea, "honey": honey}


def test_batches_and_products_older_than_their_records_are_backfilled_signed_by_the_log_key(fresh_app):
    from trace.services.audit.audit import audit_log

    flask_db(fresh_app, "upgrade", "t3logtip")
    at = "2025-09-01 00:00:00.000000"
    with fresh_app.app_context(), db.engine.begin() as conn:
        template = json.dumps([{"stage": "harvest", "requires": []}])
        conn.execute(sa.text("INSERT INTO categories (id, code, name_zh, name_en, template) VALUES "
                             "(1, 'tea', '茶叶', 'Tea', :t)"), {"t": template})
        conn.execute(sa.text("INSERT INTO organizations (id, kind, name, province, county, created_at) VALUES "
                             "(1, 'cooperative', '茶叶合作社', '浙江省', '松阳县', :at)"), {"at": at})
        conn.execute(sa.text("INSERT INTO products (id, organization_id, category_id, name, certifications, "
                             "created_at) VALUES (1, 1, 1, '松阳银猴', '[]', :at)"), {"at": at})
        conn.execute(sa.text(
            "INSERT INTO batches (id, trace_code, product_id, organization_id, custodian_id, lot, quantity, available, "
            "uom, status, disposition, created_at) VALUES (1, 'J3HP2NND98E34', 1, 1, 1, 'T-1', 25, 25, 'KGM', "
            "'active', 'active', :at)"), {"at": at})
    flask_db(fresh_app, "upgrade")
    with fresh_app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT e.stage, e.data, e.organization_id FROM events e ORDER BY e.recorded_at")).all()
        records = {stage: (json.loads(data) if isinstance(data, str) else data, org) for stage, data, org in rows}
        assert set(records) == {"product", "registration"}
        assert records["registration"][0] | {"product": None} == {
            "product": None, "organization": "1", "lot": "T-1", "quantity": "25", "uom": "KGM", "backfilled": True}
        assert records["registration"][0]["product"]["name"] == "松阳银猴"
        assert records["product"][0]["backfilled"] is True and records["product"][1] == 1
        record_id = db.session.scalar(sa.text("SELECT record_id FROM products WHERE id = 1"))
        assert record_id == db.session.scalar(sa.text("SELECT id FROM events WHERE stage = 'product'"))
        report = audit_log(db.session, fresh_app.config["TRACE"].log_origin, workers=1)
        assert report.ok, [str(f) for f in report.findings]
        db.session.remove()


def test_templates_that_require_a_free_text_lab_get_a_version_without_it_and_back(fresh_app):
    flask_db(fresh_app, "upgrade", "r1signed")
    grown = [{"stage": "harvest", "requires": ["quantity"], "fields": []},
             {"stage": "inspection", "requires": ["items", "result", "lab"], "fields": []}]
    plain = [{"stage": "harvest", "requires": [], "fields": []}]
    with fresh_app.app_context(), db.engine.begin() as conn:
        for code, stages in (("tea", grown), ("honey", plain)):
            conn.execute(sa.text("INSERT INTO categories (code, name_zh, name_en, template_version) "
                                 "VALUES (:code, :code, :code, 1)"), {"code": code})
            conn.execute(sa.text("INSERT INTO category_templates (category_id, version, stages, created_at) "
                                 "SELECT id, 1, :stages, CURRENT_TIMESTAMP FROM categories WHERE code = :code"),
                         {"code": code, "stages": json.dumps(stages)})

    def state() -> dict[str, Any]:
        with fresh_app.app_context(), db.engine.connect() as conn:
            current = dict(conn.execute(sa.text("SELECT code, template_version FROM categories")).all())
            rows = conn.execute(sa.text("SELECT c.code, t.version, t.stages FROM category_templates t "
                                        "JOIN categories c ON c.id = t.category_id")).all()
        return {"current": current,
                "versions": {(c, v): s if isinstance(s, list) else json.loads(s) for c, v, s in rows}}

    flask_db(fresh_app, "upgrade", "l2labs")
    upgraded = state()
    assert upgraded["current"] == {"tea": 2, "honey": 1}
    assert upgraded["versions"][("tea", 2)][1]["requires"] == ["items", "result"]
    assert upgraded["versions"][("tea", 1)] == grown  # records naming version 1 keep being checked against it
    flask_db(fresh_app, "downgrade", "r1signed")
    assert state() == {"current": {"tea": 1, "honey": 1}, "versions": {("tea", 1): grown, ("honey", 1): plain}}
