"""Suyuan (溯源): traceability for farm products.

The package name shadows the standard library's ``trace``; everything runs from the
repository root so this package wins. Flask is imported lazily so that the pure parts
(``trace.ledger``, ``trace.codes``) work with only their own dependencies installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from trace.config import Config


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    """Build the Flask application."""
    from trace.app import build_app

    return build_app(config, **overrides)
