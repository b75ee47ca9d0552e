"""A private instance for benchmarks: a temporary SQLite instance served by gunicorn, and an admin token."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv/bin/gunicorn"


@dataclass(frozen=True)
class Instance:
    port: int
    admin: str  # an admin's bearer token
    server: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> str:
    """Run ``flask --app wsgi ...`` and return what it printed."""
    out = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)
    return out.stdout


def call(port: int, method: str, path: str, token: str | None = None, body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Send one request on a fresh connection; return the status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        sent["Content-Type"] = "application/json"
    payload = body if isinstance(body, bytes) or body is None else json.dumps(body)
    conn.request(method, path, body=payload, headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def api(port: int, method: str, path: str, token: str, body: object = None) -> dict:
    """Call the API; stop the benchmark with the answer if it is not a success."""
    status, data = call(port, method, path, token, body)
    if status >= 300:
        raise SystemExit(f"{method} {path}: {status} {data[:300]!r}")
    return json.loads(data)


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not answer /healthz within 20 s")


@contextmanager
def serve(workers: int = 1, **settings: str) -> Iterator[Instance]:
    """Migrate and seed a temporary SQLite instance, serve it with gunicorn, yield it; stop it after.

    ``settings`` are extra TRACE_* environment variables (e.g. TRACE_RATE_LIMIT_ENABLED="0").
    """
    with tempfile.TemporaryDirectory(prefix="suyuan-bench-") as tmp:
        env = {**os.environ, "TRACE_INSTANCE_PATH": tmp, "TRACE_MASTER_KEY": "11" * 32, **settings}
        env.pop("TRACE_DATABASE_URL", None)
        flask(env, "db", "upgrade", "heads")
        flask(env, "trace", "seed")
        admin = flask(env, "trace", "token", "--role", "admin", "--name", "bench").split()[-1]
        port = free_port()
        server = subprocess.Popen([str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                   "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        try:
            _wait_ready(port, server)
            yield Instance(port, admin, server)
        finally:
            server.terminate()
            server.wait()


def process_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(instance: Instance) -> list[int]:
    """Return the pids of the gunicorn master's workers."""
    master = instance.server.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def producer(port: int, admin: str, org: dict) -> str:
    """Create an organization with a producer; return the producer's token."""
    created = api(port, "POST", "/api/v1/organizations", admin, org)
    user = api(port, "POST", f"/api/v1/organizations/{created['id']}/members", admin, {"name": "p", "role": "producer"})
    return api(port, "POST", f"/api/v1/organizations/{created['id']}/members/{user['id']}/tokens", admin,
               {"name": "bench"})["token"]
