"""Fixtures for the scanner client: the installed client, and a real server process (SQLite, free port)."""

from __future__ import annotations

import filecmp
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "scanner_client"


def _installed_matches(site: Path) -> bool:
    """Tell whether the client installed under ``site`` is the one in the repository."""
    installed = site / "scanner_client"
    sources = sorted(p.name for p in SOURCE.glob("*.py"))
    return installed.is_dir() and all(
        (installed / name).is_file() and filecmp.cmp(SOURCE / name, installed / name, shallow=False)
        for name in sources)


@pytest.fixture(scope="session")
def client_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Return the environment that runs the installed client (``python -m scanner_client`` outside the repository).

    ``make test`` installs it into the virtualenv; if that copy is missing or older than the source,
    it is installed (built as a wheel by pip) into a directory of this run instead.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACE_", "PYTHON"))}
    import sysconfig

    if not _installed_matches(Path(sysconfig.get_paths()["purelib"])):
        target = tmp_path_factory.mktemp("client-install")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                        str(SOURCE)], check=True, cwd=tmp_path_factory.getbasetemp())
        env["PYTHONPATH"] = str(target)
    env["SUYUAN_SCANNER_LANG"] = "en"
    return env


@dataclass
class Client:
    """Runs the installed client against a home directory."""

    env: dict[str, str]
    home: Path
    cwd: Path

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "scanner_client", *args, "--home", str(self.home)]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120,
            **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), input=stdin, capture_output=True, text=True, timeout=timeout,
                              cwd=self.cwd, env={**self.env, **env})

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=self.cwd, env={**self.env, **env})

    @property
    def key_name(self) -> str:
        with sqlite3.connect(self.home / "outbox.sqlite3") as db:
            return str(db.execute("SELECT value FROM settings WHERE name = 'key_name'").fetchone()[0])

    def outbox(self) -> dict[str, int]:
        with sqlite3.connect(self.home / "outbox.sqlite3", timeout=30) as db:
            return dict(db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The service in a process of its own, on SQLite in a temporary instance folder; killable and restartable."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRACE_")},
                    "TRACE_INSTANCE_PATH": str(instance), "TRACE_DATABASE_URL": f"sqlite:///{instance / 'db.sqlite3'}",
                    "TRACE_RATE_LIMIT_ENABLED": "0", "TRACE_PUBLIC_URL": "https://trace.example.cn"}
        self.process: subprocess.Popen[bytes] | None = None
        seeded = subprocess.run([sys.executable, "-m", "tests.scanner_client.world", "6"], cwd=REPO, env=self.env,
                                capture_output=True, text=True, check=True, timeout=300)
        self.world: dict[str, Any] = json.loads(seeded.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        self.log = open(self.instance / "server.log", "ab")  # noqa: SIM115  (closed by kill)
        log = self.log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(self.port), "--no-reload",
             "--no-debugger", "--with-threads"], cwd=REPO, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start: " + (self.instance / "server.log").read_text()[-2000:])

    def kill(self) -> None:
        """Stop the server at once, as a power cut would (SIGKILL)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None
            self.log.close()

    def query(self, sql: str, *params: Any) -> Any:
        db = sqlite3.connect(f"file:{self.instance / 'db.sqlite3'}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def device_events(self, key_name: str) -> list[str]:
        return [r[0] for r in self.query("SELECT id FROM events WHERE actor = ?", f"device:{key_name}")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("server"))
    live.start()
    yield live
    live.kill()


@pytest.fixture()
def scanner(server: LiveServer, client_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest) -> Client:
    """An installed client with a device enrolled for the world's producer."""
    client = Client(client_env, tmp_path / "home", tmp_path)
    name = request.node.name.replace("[", "-").replace("]", "")[-40:].strip("-_")
    done = client.run("enroll", "--server", server.url, "--token", server.world["token"], "--name", name)
    assert done.returncode == 0, done.stderr
    return client

