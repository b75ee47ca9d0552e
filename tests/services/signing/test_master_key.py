"""Rotating the master key re-seals every private key; the old key opens none of them afterwards."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import Factory, event_body
from tests.helpers import make_config
from trace import create_app
from trace.db import db
from trace.errors import ConflictError
from trace.models import SigningKey
from trace.services.signing import keys as key_svc
from trace.services.signing.master_key import reseal_keys, unopenable_keys


def _app(instance: Path, master_key: str | None):
    app = create_app(make_config("sqlite", instance).with_(master_key=master_key))
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
    return app


def _record(app) -> None:
    with app.app_context():
        make = Factory(db.session)
        alice = make.actor()
        code = make.batch(alice).trace_code
        headers = alice.headers
    body = event_body("planting", [], {"plot": "1号", "variety": "浙粉"}) | {"batches": [code]}
    assert app.test_client().post("/api/v1/events", json=body, headers=headers).status_code == 201


def test_rotate_reseals_every_key_under_a_new_key_file(tmp_path: Path) -> None:
    app = _app(tmp_path, None)  # the master key lives in instance/master.key
    _record(app)
    key_file = tmp_path / "master.key"
    old = bytes.fromhex(key_file.read_text())
    result = app.test_cli_runner().invoke(args=["trace", "master-key", "rotate"])
    assert result.exit_code == 0, result.output
    new = bytes.fromhex(key_file.read_text())
    assert new != old and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "master.key.new").exists()
    with app.app_context():
        sealed = db.session.scalar(sa.select(sa.func.count()).select_from(SigningKey)
                                   .where(SigningKey.sealed_private_key.is_not(None)))
        assert sealed >= 2 and f"re-sealed {sealed} keys" in result.output
        assert unopenable_keys(db.session(), new) == []
        assert len(unopenable_keys(db.session(), old)) == sealed
        db.engine.dispose()
    restarted = create_app(make_config("sqlite", tmp_path).with_(master_key=None))
    key_svc._private_cache.clear()  # a restarted process: every key is unsealed again, with the new key
    _record(restarted)
    check = restarted.test_cli_runner().invoke(args=["trace", "master-key", "check"])
    assert check.exit_code == 0, check.output
    audit = restarted.test_cli_runner().invoke(args=["trace", "audit", "--workers", "1"])
    assert audit.exit_code == 0, audit.output
    with restarted.app_context():
        db.engine.dispose()


def test_rotate_with_the_key_in_the_environment_prints_the_new_key(tmp_path: Path) -> None:
    app = _app(tmp_path, "11" * 32)
    _record(app)
    result = app.test_cli_runner().invoke(args=["trace", "master-key", "rotate"])
    assert result.exit_code == 0, result.output
    new = bytes.fromhex(result.output.strip().splitlines()[-1])
    with app.app_context():
        assert unopenable_keys(db.session(), new) == []
        db.engine.dispose()
    assert not (tmp_path / "master.key.new").exists()


def test_reseal_changes_nothing_when_the_old_key_is_wrong(tmp_path: Path) -> None:
    app = _app(tmp_path, "22" * 32)
    _record(app)
    with app.app_context():
        before = [bytes(k) for k in db.session.scalars(sa.select(SigningKey.sealed_private_key))]
        with pytest.raises(ConflictError):
            reseal_keys(db.session(), bytes(32), bytes(range(32)))
        db.session.rollback()
        assert [bytes(k) for k in db.session.scalars(sa.select(SigningKey.sealed_private_key))] == before
        export = app.test_cli_runner().invoke(args=["trace", "master-key", "export"])
        assert export.output.strip() == "22" * 32
        db.engine.dispose()
