"""The offline verifier command: ``python -m trace.ledger.verify FILE --log-key VKEY``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from trace.ledger.b64 import b64encode
from trace.ledger.verify import EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE, main

from .helpers import FakeLog

REPO = Path(__file__).resolve().parents[2]


def _log() -> FakeLog:
    log = FakeLog()
    org = log.add_key("coop.example/org")
    for stage in ("planting", "harvest", "packing"):
        log.append(log.record(stage=stage), [org])
    return log


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # -W error: importing the package must not trigger runpy's double-import warning.
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "trace.ledger.verify", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _write(path: Path, bundle: dict[str, Any]) -> str:
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return str(path)


def test_cli_accepts_a_good_bundle(tmp_path: Path) -> None:
    log = _log()
    result = _run(_write(tmp_path / "good.json", log.bundle()), "--log-key", log.log_vkey)
    assert result.returncode == EXIT_OK == 0, result.stderr
    assert "Result:     OK" in result.stdout
    assert "size 3" in result.stdout
    assert result.stdout.count(" ok #") == 3


def test_cli_reports_problems(tmp_path: Path) -> None:
    log = _log()
    bundle = log.bundle()
    bundle["entries"] = [e for e in bundle["entries"] if e["index"] != 1]
    result = _run(_write(tmp_path / "bad.json", bundle), "--log-key", log.log_vkey)
    assert result.returncode == EXIT_PROBLEMS == 1, result.stderr
    assert "entry 2: [prev-chain]" in result.stdout
    assert "1 problem(s)" in result.stdout


def test_cli_rejects_unreadable_input(tmp_path: Path) -> None:
    log = _log()
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    result = _run(str(garbage), "--log-key", log.log_vkey)
    assert result.returncode == EXIT_UNREADABLE == 2
    assert "cannot read the bundle" in result.stderr
    assert _run(str(tmp_path / "missing.json"), "--log-key", log.log_vkey).returncode == 2
    bad_key = _run(_write(tmp_path / "good.json", log.bundle()), "--log-key", "nonsense")
    assert bad_key.returncode == 2
    assert "--log-key" in bad_key.stderr


def test_main_in_process(tmp_path: Path, capsys: Any) -> None:
    log = _log()
    bundle = log.bundle()
    bundle["entries"][0]["leaf"] = b64encode(b"{}")
    assert main([_write(tmp_path / "b.json", bundle), "--log-key", log.log_vkey]) == EXIT_PROBLEMS
    out = capsys.readouterr().out
    assert "entry 0: [inclusion]" in out
    assert "entry 0: [leaf]" in out


def test_ledger_imports_only_its_dependencies() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import trace.ledger, trace.ledger.verify\n"
        "allowed = set(sys.stdlib_module_names) | {'trace', 'cryptography', 'rfc8785', '_cffi_backend', '_openssl'}\n"
        "print(sorted({m.split('.')[0] for m in set(sys.modules) - before} - allowed))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
