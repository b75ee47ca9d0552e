"""Backups are made online, hold the database and attachments but never the master key, and restore to a clean audit."""

from __future__ import annotations

import base64
import hashlib
import stat
import tarfile
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import Factory, event_body
from tests.helpers import POSTGRES_URL, build_migrated_app, fresh_postgres_url, make_config, postgres_reason
from trace import create_app
from trace.db import db
from trace.models import Attachment, Event, LogEntry
from trace.services.audit.audit import audit_log
from trace.services.records.attachments import attachment_path

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
MASTER = "5a" * 32


def _app(engine: str, instance: Path, url: str | None = None, seed: bool = False):
    config = make_config(engine, instance).with_(master_key=MASTER)
    if url:
        config = config.with_(database_url=url)
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        if seed:
            from trace.services.catalog.catalog import seed_categories

            seed_categories(db.session)
            db.session.commit()
    return app


def _fill(app) -> tuple[str, dict[str, str], str]:
    """A batch with records and a photo; return its code, the producer's headers and the photo's hash."""
    with app.app_context():
        make = Factory(db.session)
        alice = make.actor()
        batch = make.batch(alice)
        code, headers = batch.trace_code, alice.headers
    client = app.test_client()
    photo = client.post("/api/v1/attachments?name=photo.png", data=PNG, content_type="image/png", headers=headers)
    assert photo.status_code == 201, photo.json
    body = event_body("planting", [], {"plot": "1号", "variety": "浙粉"}, attachments=[photo.json])
    body["batches"] = [code]
    assert client.post("/api/v1/events", json=body, headers=headers).status_code == 201
    return code, headers, photo.json["sha256"]


def _audit(app):
    with app.app_context():
        return audit_log(db.session(), app.config["TRACE"].log_origin, attachments_root=Path(app.instance_path),
                         workers=1)


def _round_trip(engine: str, tmp_path: Path, source_url: str | None = None, target_url: str | None = None) -> None:
    app = _app(engine, tmp_path / "a", source_url, seed=True)
    code, headers, photo = _fill(app)
    client = app.test_client()
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:  # the backup is online: writers go on meanwhile
        while not stop.is_set():
            body = event_body("input", [], {"inputType": "fertilizer", "product": "有机肥", "dose": "2",
                                            "doseUnit": "kg/亩"}) | {"batches": [code]}
            written.append(client.post("/api/v1/events", json=body, headers=headers).status_code)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = app.test_cli_runner().invoke(args=["trace", "backup", str(tmp_path / "b.tar")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert written and set(written) == {201}
    archive = tmp_path / "b.tar"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    data = archive.read_bytes()
    assert MASTER.encode() not in data and bytes.fromhex(MASTER) not in data
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert f"attachments/{photo[:2]}/{photo}" in names
    assert not any("master" in n or "secret" in n for n in names)
    with app.app_context():
        db.engine.dispose()

    restored = _app(engine, tmp_path / "r", target_url)
    result = restored.test_cli_runner().invoke(args=["trace", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    # The upload is stored re-encoded without metadata; its name is the SHA-256 of what is stored.
    assert hashlib.sha256(attachment_path(tmp_path / "r", photo).read_bytes()).hexdigest() == photo
    with restored.app_context():
        assert db.session.get(Attachment, photo) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) >= 3
        size = db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry))
    report = _audit(restored)
    assert report.ok, [str(f) for f in report.findings]
    assert report.entries == size
    if engine == "sqlite":
        assert stat.S_IMODE((tmp_path / "r" / "suyuan.sqlite3").stat().st_mode) == 0o600
    page = restored.test_client().get(f"/t/{code}", headers={"Accept": "application/json"}).json
    assert page["verification"]["verified"]
    with restored.app_context():
        db.engine.dispose()


def test_sqlite_backup_restores_and_audits_clean(tmp_path: Path) -> None:
    _round_trip("sqlite", tmp_path)


@pytest.mark.skipif(postgres_reason() is not None, reason=str(postgres_reason()))
def test_postgresql_backup_restores_and_audits_clean(tmp_path: Path) -> None:
    import shutil

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed (Debian: postgresql-client)")
    assert POSTGRES_URL
    _round_trip("postgresql", tmp_path, fresh_postgres_url(), fresh_postgres_url())


def test_restore_refuses_a_database_with_records_and_a_foreign_master_key(tmp_path: Path) -> None:
    app = build_migrated_app("sqlite", tmp_path / "a")
    _fill(app)
    assert app.test_cli_runner().invoke(args=["trace", "backup", str(tmp_path / "b.tar")]).exit_code == 0
    again = app.test_cli_runner().invoke(args=["trace", "restore", str(tmp_path / "b.tar")])
    assert again.exit_code != 0 and "--force" in again.output
    other = _app("sqlite", tmp_path / "o")  # another master key than the backup's deployment
    result = other.test_cli_runner().invoke(args=["trace", "restore", str(tmp_path / "b.tar")])
    assert result.exit_code != 0 and "TRACE_MASTER_KEY" in result.output
    with app.app_context():
        db.engine.dispose()
    with other.app_context():
        db.engine.dispose()
