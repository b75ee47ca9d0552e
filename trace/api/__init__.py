"""The JSON API: the blueprint (``base.py``: routing, bodies, the transaction) and one module per resource."""

from trace.api import (  # noqa: F401  (each module registers its routes on the blueprint)
    attachments,
    batches,
    catalog,
    compliance,
    devices,
    endorsements,
    events,
    exports,
    feedback,
    labels,
    lineage,
    log,
    openapi,
    organizations,
    printing,
    quality,
    townships,
)
from trace.api.base import ROUTES, api

__all__ = ["ROUTES", "api"]
