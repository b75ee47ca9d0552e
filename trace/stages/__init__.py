"""The stages of a batch's life, one module each, and the registry the rest of the service reads.

Services, interop and the lookup pages ask a stage (``stage(name)``) for its schema, bizStep,
effect and mappings instead of comparing names: adding a stage is one module here (listed in
``_MODULES``) and its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from marshmallow import ValidationError, validate

from trace.stages import (
    certificate,
    destruction,
    harvest,
    inspection,
    packing,
    planting,
    processing,
    recall,
    receiving,
    sale,
    shipping,
    sorting,
    storage,
)
from trace.stages import input as farm_input
from trace.stages.base import CBV, LOCALES, Detail, Label, PageView, Stage, in_language

__all__ = ["CBV", "LOCALES", "STAGES", "Detail", "Label", "OneOfStages", "PageView", "Stage", "by_captured_biz_step",
           "in_language", "names", "registered", "stage", "transformation_stages", "universal_stages"]

_CLASSES: tuple[type[Stage], ...] = (
    planting.Planting, farm_input.Input, harvest.Harvest, processing.Processing, inspection.Inspection,
    sorting.Sorting, packing.Packing, storage.Storage, shipping.Shipping, receiving.Receiving, sale.Sale,
    certificate.Certificate, recall.Recall, destruction.Destruction,
)
# Every stage by name, in the order of a batch's life.
STAGES: dict[str, Stage] = {cls.name: cls() for cls in _CLASSES}


def stage(name: str) -> Stage:
    """Return a stage by name (KeyError for an unknown one)."""
    return STAGES[name]


def names(having: Callable[[Stage], bool] = lambda s: True) -> frozenset[str]:
    """Return the names of the stages that have a property, e.g. ``names(lambda s: s.ships)``."""
    return frozenset(name for name, s in STAGES.items() if having(s))


def universal_stages() -> frozenset[str]:
    """Return the stages any batch may have, whatever its category's template lists."""
    return names(lambda s: s.universal)


def transformation_stages() -> frozenset[str]:
    """Return the stages that split or merge batches (recorded through /transformations)."""
    return names(lambda s: s.transformation)


def by_captured_biz_step(step: str) -> Stage | None:
    """Return the stage another system's event with this bare CBV bizStep is taken as, if any."""
    return next((s for s in STAGES.values() if step in s.captured_biz_steps), None)


class OneOfStages(validate.Validator):
    """Validate a stage name against the registry when the value is loaded (stages may be added later)."""

    def __init__(self, having: Callable[[Stage], bool] = lambda s: True) -> None:
        self.having = having

    def __call__(self, value: str) -> str:
        allowed = names(self.having)
        if value not in allowed:
            raise ValidationError(f"Must be one of: {', '.join(sorted(allowed))}.")
        return value


@contextmanager
def registered(extra: Stage) -> Iterator[Stage]:
    """Register a stage for the duration of a block (tests define stages this way)."""
    if extra.name in STAGES:
        raise ValueError(f"Stage {extra.name} exists already.")
    STAGES[extra.name] = extra
    try:
        yield extra
    finally:
        del STAGES[extra.name]
