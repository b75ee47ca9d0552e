"""Online backups and restores: the database and the attachments (reports, photos), never the master key.

A backup is one tar file (``suyuan-backup/v1``) holding ``manifest.json``, the database
(``database.sqlite3`` made with SQLite's online backup API, or ``database.pgdump`` made by
``pg_dump --format=custom``) and ``attachments/<aa>/<sha256>``. The database is copied first:
attachments are written (and fsynced) before the rows that name them commit, and never change,
so every attachment the copied database names is on disk when the files are copied after it.
The master key, the session secret and witness keys stay out: a restore needs the master key
kept apart (``trace master-key export``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

FORMAT = "suyuan-backup/v1"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
ATTACHMENTS = "attachments"


class BackupError(Exception):
    """A backup or restore cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds."""

    engine: str
    log_size: int
    attachments: int
    bytes: int


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (replacing it), so no copy of the database is ever readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def sqlite_path(url: sa.URL) -> Path:
    """Return the file of an SQLite URL (in-memory databases cannot be backed up)."""
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing on disk to back up")
    return Path(url.database)


def libpq_url(url: sa.URL) -> str:
    """Return a PostgreSQL URL as pg_dump and pg_restore read it (without SQLAlchemy's +driver)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed, so a PostgreSQL database cannot be dumped or restored here: "
                          "install the PostgreSQL client of the server's major version (Debian: postgresql-client)")
    return found


def _dump_database(url: sa.URL, folder: Path) -> tuple[str, Path]:
    if url.get_backend_name() == "sqlite":
        target = folder / SQLITE_MEMBER
        _private_file(target)
        source = sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # online: writers go on; the copy is one consistent snapshot
        finally:
            copy.close()
            source.close()
        return "sqlite", target
    if url.get_backend_name() == "postgresql":
        target = folder / PGDUMP_MEMBER
        _private_file(target)
        done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                               "--file", str(target), "--dbname", libpq_url(url)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        return "postgresql", target
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def _attachments(root: Path) -> Iterator[tuple[str, Path]]:
    base = root / ATTACHMENTS
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        if path.is_file() and len(path.name) == 64 and path.parent.name == path.name[:2]:
            yield f"{ATTACHMENTS}/{path.parent.name}/{path.name}", path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_backup(engine: sa.Engine, instance: Path, target: Path, log: dict[str, Any]) -> BackupSummary:
    """Write a backup of the database behind ``engine`` and the attachments under ``instance`` to ``target``.

    ``log`` (size, checkpoint note) goes into the manifest so a restore can say which log it brings back.
    The file is written beside ``target`` with mode 0600 and renamed into place when complete.
    """
    target = target.resolve()
    with tempfile.TemporaryDirectory(prefix="suyuan-backup-", dir=target.parent) as tmp:
        folder = Path(tmp)
        engine_name, database = _dump_database(engine.url, folder)
        files = list(_attachments(instance))
        manifest = {"format": FORMAT, "engine": engine_name, "createdAt": dt.datetime.now(dt.UTC).isoformat(),
                    "database": database.name, "databaseSha256": _sha256(database), "log": log,
                    "attachments": {name: path.name for name, path in files}}
        partial = folder / "backup.tar"
        _private_file(partial)
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(database, arcname=database.name)
            for name, path in files:
                tar.add(path, arcname=name)
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, target)
    return BackupSummary(engine_name, int(log.get("size", 0)), len(files), target.stat().st_size)


def read_manifest(source: Path) -> dict[str, Any]:
    """Return a backup's manifest, checking its format."""
    try:
        with tarfile.open(source, "r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise BackupError("the backup has no manifest")
            manifest = json.loads(member.read())
    except (tarfile.TarError, KeyError, ValueError, OSError) as exc:
        raise BackupError(f"{source} is not a Suyuan backup: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a {FORMAT} backup")
    return manifest


def restore_backup(source: Path, url: sa.URL, instance: Path) -> dict[str, Any]:
    """Restore the database at ``url`` and the attachments under ``instance`` from a backup; return its manifest.

    The application must be stopped. SQLite: the database file is replaced (mode 0600). PostgreSQL:
    ``pg_restore --clean`` into the (existing) database. Every file is checked against its hash first.
    """
    manifest = read_manifest(source)
    engine_name = url.get_backend_name()
    if manifest["engine"] != engine_name:
        raise BackupError(f"the backup is of a {manifest['engine']} database; this deployment uses {engine_name}")
    with tempfile.TemporaryDirectory(prefix="suyuan-restore-") as tmp, tarfile.open(source, "r") as tar:
        folder = Path(tmp)
        wanted = {manifest["database"], *manifest["attachments"]}
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                tar.extract(member, folder, filter="data")
        database = folder / manifest["database"]
        if not database.is_file() or _sha256(database) != manifest["databaseSha256"]:
            raise BackupError("the backup's database copy is missing or damaged")
        for name, digest in manifest["attachments"].items():
            if _sha256(folder / name) != digest:
                raise BackupError(f"the backup's attachment {name} is damaged")
        if engine_name == "sqlite":
            _restore_sqlite(database, sqlite_path(url))
        else:
            done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                   "--single-transaction", "--dbname", libpq_url(url), str(database)],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        for name in manifest["attachments"]:
            target = instance / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, target)
    return manifest


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    _private_file(staged)
    shutil.copyfile(copy, staged)
    with open(staged, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in ("-wal", "-shm"):  # a stale write-ahead log must not be replayed onto the restored file
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)
