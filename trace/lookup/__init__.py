"""The public lookup pages: the blueprint and its error pages (``blueprint.py``), views, feedback, photos."""

from trace.lookup import feedback, photos, views  # noqa: F401  (each module registers its routes on the blueprint)
from trace.lookup.blueprint import lookup

__all__ = ["lookup"]
