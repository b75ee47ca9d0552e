"""The local ``trace`` package, not the standard library's, is the one imported."""

from __future__ import annotations

from pathlib import Path

import trace

REPO = Path(__file__).resolve().parent.parent


def test_trace_is_the_repositorys_package():
    location = Path(trace.__file__).resolve()
    assert location.is_relative_to(REPO), location
    assert location == REPO / "trace" / "__init__.py"
    assert callable(trace.create_app)
