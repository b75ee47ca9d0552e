"""Flask commands for operators: ``trace backup FILE``, ``trace restore FILE``, ``trace master-key ...``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from trace.db import db, writing
from trace.errors import TraceError
from trace.services.signing.keys import MASTER_KEY_FILE


@click.command("backup")
@with_appcontext
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Back up the database and the attachments (photos, reports) to one file, online; never the master key."""
    from trace.services.operations.backup import BackupError, make_backup
    from trace.services.signing.log import latest_checkpoint, log_size

    try:
        log = {"size": log_size(db.session()), "checkpoint": latest_checkpoint(db.session()).note}
    except Exception:  # noqa: BLE001 (an empty log has no checkpoint: the backup says size 0)
        log = {"size": 0, "checkpoint": None}
    db.session.remove()
    try:
        summary = make_backup(db.engine, Path(current_app.instance_path), target, log)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup of {summary.engine}: log size {summary.log_size}, {summary.attachments} attachments, "
               f"{summary.bytes} bytes in {target} (mode 0600; the master key is not in it)")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds records.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup into this deployment's database and instance folder (stop the app first)."""
    from trace.models import LogEntry
    from trace.services.operations.backup import BackupError, read_manifest, restore_backup
    from trace.services.signing.master_key import unopenable_keys

    try:
        manifest = read_manifest(source)
        inspector = sa.inspect(db.engine)
        if inspector.has_table("log_entries") and not force:
            held = db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry)) or 0
            if held:
                raise click.ClickException(f"the database already holds {held} log entries; stop the app and pass "
                                           "--force to replace it")
        db.session.remove()
        db.engine.dispose()
        restore_backup(source, db.engine.url, Path(current_app.instance_path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    db.engine.dispose()
    bad = unopenable_keys(db.session(), current_app.extensions["trace.ledger"].master_key)
    click.echo(f"restored {manifest['engine']} backup of {manifest['createdAt']}: log size {manifest['log']['size']}, "
               f"{len(manifest['attachments'])} attachments")
    if bad:
        raise click.ClickException(f"the master key here does not open {len(bad)} restored keys ({', '.join(bad[:3])}"
                                   "…): set TRACE_MASTER_KEY (or instance/master.key) to the master key of the "
                                   "deployment the backup was made from")
    click.echo("next: flask --app wsgi trace audit  (and trace audit --witnesses if witnesses are configured)")


master_key = AppGroup("master-key", help="The master key that seals every private signing key.")


@master_key.command("export")
def export_command() -> None:
    """Print the master key (64 hex characters) to keep apart from backups, offline."""
    click.echo(current_app.extensions["trace.ledger"].master_key.hex())


@master_key.command("check")
def check_command() -> None:
    """Check that the master key opens every sealed private key."""
    from trace.services.signing.master_key import unopenable_keys

    bad = unopenable_keys(db.session(), current_app.extensions["trace.ledger"].master_key)
    if bad:
        raise click.ClickException(f"{len(bad)} keys do not open with this master key: {', '.join(bad)}")
    click.echo("OK: the master key opens every sealed key")


@master_key.command("rotate")
def rotate_command() -> None:
    """Re-seal every private key under a new master key (stop the app first; restart it after)."""
    from trace.services.signing.master_key import reseal_keys

    config = current_app.config["TRACE"]
    old = current_app.extensions["trace.ledger"].master_key
    new = secrets.token_bytes(32)
    key_file = Path(current_app.instance_path) / MASTER_KEY_FILE
    staged = key_file.with_name(MASTER_KEY_FILE + ".new")
    if not config.master_key:
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:  # kept before the database changes: the new key is never lost
            fh.write(new.hex())
            fh.flush()
            os.fsync(fh.fileno())
    with writing():
        try:
            count = reseal_keys(db.session(), old, new)
            db.session.commit()
        except BaseException as exc:
            db.session.rollback()
            staged.unlink(missing_ok=True)
            if isinstance(exc, TraceError):
                raise click.ClickException(exc.detail) from exc
            raise
    if config.master_key:
        click.echo(f"re-sealed {count} keys; set TRACE_MASTER_KEY to this new key before the app starts again:")
        click.echo(new.hex())
        return
    os.replace(staged, key_file)
    click.echo(f"re-sealed {count} keys; the new master key is in {key_file} (mode 0600)")
