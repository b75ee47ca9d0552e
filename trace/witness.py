"""A small tlog witness (c2sp.org/tlog-witness): its own key, its own state folder, one HTTP server.

``flask --app wsgi trace witness serve --state DIR`` runs it. The state folder holds the witness's
private key (``witness.key``, mode 0600) and, per log origin, the latest checkpoint it cosigned
(``state.json``, replaced atomically under a file lock, fsynced before the answer goes out).
It answers ``POST /add-checkpoint`` and ``GET /<sha256(origin) hex>/checkpoint``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from trace import ledger
from trace.ledger.cosignature import WitnessKey, parse_witness_vkey, witness_vkey
from trace.ledger.note import split_note
from trace.ledger.witness import decide

KEY_FILE = "witness.key"
STATE_FILE = "state.json"
LOCK_FILE = "state.lock"
MAX_BODY = 64 * 1024  # a checkpoint, 63 proof lines and a few signatures fit many times over


class WitnessState:
    """The witness's key and its per-origin latest cosigned checkpoints, in one folder."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.key = _load_or_create_key(folder / KEY_FILE)

    @property
    def vkey(self) -> str:
        return witness_vkey(self.name, ledger.public_raw(self.key))

    @property
    def witness_key(self) -> WitnessKey:
        return parse_witness_vkey(self.vkey)

    @contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """Hold the state lock; yield the state, written back (atomically) if the caller changed it."""
        with open(self.folder / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self._read()
                before = json.dumps(state, sort_keys=True)
                yield state
                if json.dumps(state, sort_keys=True) != before:
                    self._write(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except FileNotFoundError:
            return {}

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.folder / (STATE_FILE + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, ensure_ascii=False, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.folder / STATE_FILE)
        dir_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def latest(self, state: Mapping[str, Any]) -> dict[str, ledger.Checkpoint]:
        """Return the latest cosigned checkpoint per origin."""
        out = {}
        for origin, item in state.items():
            text, _ = split_note(item["note"])
            out[origin] = ledger.parse_checkpoint(text)
        return out


def _load_or_create_key(path: Path) -> Any:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(ledger.private_raw(ledger.generate_private_key()).hex())
    return ledger.private_key_from_raw(bytes.fromhex(path.read_text().strip()))


def parse_logs(items: Iterable[str]) -> dict[str, list[ledger.Verifier]]:
    """Read ``ORIGIN=VKEY`` options into the logs the witness knows."""
    logs: dict[str, list[ledger.Verifier]] = {}
    for item in items:
        origin, sep, vkey = item.partition("=")
        if not sep or not origin:
            raise ValueError(f"--log must be ORIGIN=VKEY, got {item!r}")
        logs.setdefault(origin, []).append(ledger.parse_vkey(vkey))
    return logs


def origin_hash(origin: str) -> str:
    """Return the lowercase hex SHA-256 of a log origin (the monitoring path's first part)."""
    return hashlib.sha256(origin.encode()).hexdigest()


class WitnessApp:
    """The witness's WSGI application."""

    def __init__(self, state: WitnessState, logs: Mapping[str, Sequence[ledger.Verifier]],
                 clock: Any = time.time) -> None:
        self.state = state
        self.logs = logs
        self.clock = clock
        self.urls = Map([Rule("/add-checkpoint", endpoint="add", methods=["POST"]),
                         Rule("/<hexhash>/checkpoint", endpoint="checkpoint", methods=["GET"])])

    def add(self, request: Request) -> Response:
        if (request.content_length or 0) > MAX_BODY:
            return Response("body too large\n", status=413)
        body = request.get_data(cache=False)[: MAX_BODY + 1]
        if len(body) > MAX_BODY:
            return Response("body too large\n", status=413)
        with self.state.locked() as state:
            decision = decide(body, self.logs, self.state.latest(state), self.state.name, self.state.key,
                              int(self.clock()))
            if decision.status == 200:
                assert decision.state is not None and decision.note is not None
                state[decision.state.origin] = {"note": decision.note}
        return Response(decision.body, status=decision.status, content_type=decision.content_type)

    def checkpoint(self, request: Request, hexhash: str) -> Response:
        with self.state.locked() as state:
            for origin, item in state.items():
                if origin_hash(origin) == hexhash:
                    return Response(item["note"], content_type="text/plain; charset=utf-8")
        return Response("no checkpoint cosigned for that log\n", status=404)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, endpoint)(request, **args)
        except (NotFound, MethodNotAllowed) as exc:
            response = Response(f"{exc.description}\n", status=exc.code)
        except HTTPException as exc:
            response = exc.get_response()
        return response(environ, start_response)  # type: ignore[no-any-return]
