"""Schemathesis, every check, against a live server: no server error, nothing the OpenAPI document does not say.

The server is this app on a loopback port (a fresh SQLite instance with the demo data, rate limits
off), driven by the ``schemathesis`` command with tests/api/schemathesis.toml (seeded, a bounded
number of examples per operation). Token revocation runs apart, with a token of its own, so it never
revokes the one the rest of the run uses. The whole run is capped at five minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.helpers import make_config
from trace import create_app
from trace.db import db

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
BUDGET = 300.0  # seconds, the whole test: setting up, both runs
REVOKING = "DELETE /api/v1/tokens/{token_id}"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed "
                                                                   "(requirements-dev.txt)")]


def _admin_token(app) -> str:
    return app.test_cli_runner().invoke(args=["trace", "token", "--role", "admin", "--name", "fuzz"]).output.split()[-1]


def _run(base: str, token: str, workdir: str, *selection: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run schemathesis in ``workdir``: its cache of what it learnt starts empty each run, as in CI."""
    env = {**os.environ, "SUYUAN_FUZZ_TOKEN": token, "NO_COLOR": "1"}
    try:
        return subprocess.run(
            [str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{base}/api/v1/openapi.json", "--checks", "all",
             "--output-truncate", "true", *selection],
            env=env, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran past the {BUDGET:.0f} s budget:\n{exc.stdout!s:.5000}")


def test_the_api_keeps_to_its_openapi_document(engine_name):
    if engine_name != "sqlite":
        pytest.skip("one engine is enough for the document: the API's answers do not depend on it")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="suyuan-fuzz-") as tmp:
        app = create_app(make_config("sqlite", Path(tmp)).with_(rate_limit_enabled=False))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(revision="heads")
        assert app.test_cli_runner().invoke(args=["trace", "demo"]).exit_code == 0
        token, spare = _admin_token(app), _admin_token(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="fuzz-server", daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            main = _run(base, token, tmp, "--exclude-name", REVOKING, timeout=BUDGET - (time.monotonic() - started))
            tokens = _run(base, spare, tmp, "--include-name", REVOKING, timeout=BUDGET - (time.monotonic() - started))
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    for run in (main, tokens):
        summary = run.stdout[run.stdout.find("SUMMARY"):]
        assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
        assert "Tested:" in summary and "passed" in summary.rsplit("Test cases:", 1)[-1], summary
