"""Rate limits: one budget per client address, whichever worker answers (Redis), and the settings that say where."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from trace.config import Config, ConfigError

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TRACE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_reason() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed (requirements.txt)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"no Redis at {REDIS_URL}: {exc}"
    return None


def test_redis_url_becomes_the_limiter_storage() -> None:
    assert Config.from_env({}).limiter_storage == "memory://"
    shared = Config.from_env({"TRACE_REDIS_URL": "redis://10.0.0.5:6379/2"})
    assert shared.redis_url == "redis://10.0.0.5:6379/2"
    assert shared.limiter_storage == "redis://10.0.0.5:6379/2"
    explicit = Config.from_env({"TRACE_REDIS_URL": "redis://r:6379", "TRACE_RATE_LIMIT_STORAGE": "memory://"})
    assert explicit.limiter_storage == "memory://"


def test_a_redis_url_that_is_not_one_is_refused() -> None:
    with pytest.raises(ConfigError, match="TRACE_REDIS_URL"):
        Config.from_env({"TRACE_REDIS_URL": "http://127.0.0.1:6379"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, dict[str, str]]:
    """GET on a fresh connection (so gunicorn may hand each request to another worker)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


@contextmanager
def _gunicorn(workers: int, **settings: str) -> Iterator[int]:
    """Serve a fresh SQLite instance with gunicorn; yield its port; stop it after."""
    with tempfile.TemporaryDirectory(prefix="suyuan-limits-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
        env |= {"TRACE_INSTANCE_PATH": tmp, "TRACE_MASTER_KEY": "22" * 32, **settings}
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade", "heads"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen([str(bin_dir / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                   "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        try:
            for _ in range(300):
                assert server.poll() is None, f"gunicorn exited with {server.returncode}"
                try:
                    if _get(port, "/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("gunicorn did not answer /healthz within 30 s")
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_two_workers_share_one_budget_through_redis() -> None:
    reason = redis_reason()
    if reason:
        pytest.skip(reason)
    limit = 12
    prefix = f"suyuan-test-{secrets.token_hex(4)}"  # this run's own keys on a shared server
    with _gunicorn(2, TRACE_REDIS_URL=REDIS_URL, TRACE_REDIS_PREFIX=prefix,
                   TRACE_PUBLIC_RATE_LIMIT=f"{limit}/hour") as port:
        answers = [_get(port, "/t") for _ in range(3 * limit)]
    statuses = [status for status, _ in answers]
    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429] * (2 * limit)
    assert answers[0][1]["X-RateLimit-Limit"] == str(limit)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*/{prefix}/*"))
    assert keys, "the counters live in Redis under the deployment's prefix"
    client.delete(*keys)
