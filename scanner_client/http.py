"""JSON over HTTP to the service's /api/v1 (standard library only)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 30.0


class UnreachableError(RuntimeError):
    """The server did not answer (network down, server stopped, 5xx): try again later."""


class HttpError(RuntimeError):
    """The server answered with an error the client cannot fix by retrying."""

    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status}: {detail or body}")
        self.status = status
        self.body = body


def call(server: str, method: str, path: str, body: Any = None, token: str | None = None,
         timeout: float = TIMEOUT) -> Any:
    """Send a request to ``{server}/api/v1{path}`` and return the decoded JSON answer."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(server.rstrip("/") + "/api/v1" + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")[:200]
        if exc.code >= 500 or exc.code in (408, 429):
            raise UnreachableError(f"HTTP {exc.code}") from exc
        raise HttpError(exc.code, payload) from exc
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as exc:
        # HTTPException: the connection broke mid-answer (IncompleteRead when the server was killed).
        raise UnreachableError(str(getattr(exc, "reason", exc)) or type(exc).__name__) from exc
    try:
        return json.loads(raw) if raw else None
    except ValueError as exc:  # a cut-off answer: nothing is settled from it, so asking again is safe
        raise UnreachableError(f"the answer was not JSON: {exc}") from exc
