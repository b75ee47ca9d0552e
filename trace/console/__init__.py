"""The web console: the landing page, sign-in, accounts and the administrators' pages (``blueprint.py`` holds
the guards and the current account; each module registers its routes on the blueprint)."""

from trace.console import admin, batches, lab, oversight, printing, recalls, views  # noqa: F401  (each module registers its routes on the blueprint)
from trace.console.blueprint import console

__all__ = ["console"]
