"""Real processes for tests: gunicorn app nodes, a witness, and a private PostgreSQL cluster of the test's own.

The private cluster is made with the machine's ``initdb`` and ``pg_ctl`` on a free port under a
temporary folder, so a test may stop, start or break it; the machine's shared server is never touched.
Everything started here is stopped by its own process id (or process group, for gunicorn's workers).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """Return a loopback TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None,
         timeout: float = 30) -> tuple[int, str, dict[str, str]]:
    """Send one request; return status, body text and headers (errors are answers too)."""
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def wait_until(check: Any, timeout: float = 30, what: str = "the condition") -> None:
    """Poll ``check()`` until it is true; fail the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Node:
    """A process serving HTTP: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """kill -9 the node and its children (its own process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def app_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Return the environment of an app node: no TRACE_* from the test's own environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(TRACE_DATABASE_URL=database_url, TRACE_INSTANCE_PATH=str(instance), TRACE_MASTER_KEY="3c" * 32,
               TRACE_SECRET_KEY="node-test", TRACE_RATE_LIMIT_ENABLED="0", TRACE_LOG_ORIGIN="nodes.test/log",
               TRACE_LOOKUP_STATE_MAX_AGE="0", **extra)
    return env


def _spawn(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


@contextmanager
def gunicorn(env: Mapping[str, str], folder: Path, workers: int = 2) -> Iterator[Node]:
    """Run ``gunicorn wsgi:app`` on a free port until the block ends."""
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    process = _spawn([str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                      "--timeout", "120", "--graceful-timeout", "5", "wsgi:app"], env, log)
    node = Node(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until(lambda: process.poll() is None and http("GET", f"{node.url}/healthz", timeout=2)[0] == 200,
                   what=f"gunicorn on {port} ({log})")
        yield node
    finally:
        node.stop()


def flask_command(env: Mapping[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi ...`` in the repository with an environment; return the finished process."""
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=dict(env),
                          capture_output=True, text=True, timeout=timeout, check=False)


def spawn_flask(env: Mapping[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start ``flask --app wsgi ...`` in its own process group (stop it with ``Node``-style killpg)."""
    return _spawn([str(VENV_BIN / "flask"), "--app", "wsgi", *args], env, log)


def migrate_empty(env: dict[str, str]) -> str:
    """Migrate and seed the empty database; return an administrator's token (no record yet: the log is empty)."""
    for args in (("db", "upgrade", "heads"), ("trace", "seed")):
        done = flask_command(env, *args)
        assert done.returncode == 0, done.stderr
    done = flask_command(env, "trace", "token", "--role", "admin", "--name", "root")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def make_producer(base: str, token: str, name: str = "两地合作社") -> dict[str, str]:
    """Make a cooperative and a producer through the API; return the producer's headers."""
    admin = {"Authorization": f"Bearer {token}"}
    status, body, _ = http("POST", f"{base}/api/v1/organizations", {
        "kind": "cooperative", "name": name, "region": {"province": "浙江省", "county": "松阳县"}}, admin)
    assert status == 201, body
    org = json.loads(body)["id"]
    status, body, _ = http("POST", f"{base}/api/v1/organizations/{org}/members", {"name": "p", "role": "producer"},
                           admin)
    assert status == 201, body
    status, body, _ = http("POST", f"{base}/api/v1/organizations/{org}/members/{json.loads(body)['id']}/tokens",
                           {"name": "t"}, admin)
    assert status == 201, body
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def make_batch(base: str, headers: Mapping[str, str], lot: str) -> str:
    """Register a product and a batch of it through the API; return the trace code."""
    status, body, _ = http("POST", f"{base}/api/v1/products", {"category": "vegetables", "name": f"菜{lot}"}, headers)
    assert status == 201, body
    status, body, _ = http("POST", f"{base}/api/v1/batches", {"product": json.loads(body)["id"], "lot": lot,
                                                             "quantity": "10", "uom": "KGM"}, headers)
    assert status == 201, body
    return str(json.loads(body)["code"])


def postgres_bin() -> Path | None:
    """Return the folder of the newest installed ``initdb``/``pg_ctl``, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def private_postgres_reason() -> str | None:
    """Return why a private PostgreSQL cluster cannot be made here, or None."""
    if postgres_bin() is None:
        return "initdb/pg_ctl are not installed (/usr/lib/postgresql/*/bin; Debian: postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root"
    return None


@dataclass
class Cluster:
    """A private PostgreSQL cluster: its folder, port and the command prefix that runs its tools."""

    data: Path
    port: int
    log: Path
    prefix: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/suyuan"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.prefix, str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                        *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self.pg_ctl("-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on", "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[Cluster]:
    """Make, start and finally stop and delete a PostgreSQL cluster of the test's own, with a ``suyuan`` database."""
    bin_dir = postgres_bin()
    assert bin_dir is not None
    folder = Path(tempfile.mkdtemp(prefix="suyuan-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    try:
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8", "--locale=C"], check=True, capture_output=True, timeout=120)
        cluster = Cluster(data, free_port(), folder / "postgres.log", prefix)
        cluster.start()
        try:
            subprocess.run([*prefix, str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port),
                            "-U", "postgres", "suyuan"], check=True, capture_output=True, timeout=60)
            yield cluster
        finally:
            try:
                cluster.pg_ctl("-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pass  # already stopped
    finally:
        shutil.rmtree(folder, ignore_errors=True)
