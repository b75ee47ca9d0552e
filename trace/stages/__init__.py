"""The stages of a batch's life, one module each, and the registry the rest of the service reads.

Services, interop and the lookup pages ask a stage (``stage(name)``) for its schema, bizStep,
effect and mappings instead of comparing names. Every module of this package but ``base`` and
``fields`` defines one ``Stage`` subclass and is found here, so adding a stage is one module (and
its labels in the catalogs) and its tests.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from marshmallow import validate

from trace.stages.base import CBV, LOCALES, Detail, Label, PageView, Stage, in_language

__all__ = ["CBV", "LOCALES", "STAGES", "Detail", "Label", "OneOfStages", "PageView", "Stage", "by_captured_biz_step",
           "in_language", "names", "registered", "stage", "transformation_stages", "universal_stages"]

_SHARED = frozenset({"base", "fields"})


def _discover() -> dict[str, Stage]:
    """Return one instance of the Stage subclass each stage module defines, in the order of a batch's life."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name in _SHARED:
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        classes = [c for c in vars(loaded).values()
                   if isinstance(c, type) and issubclass(c, Stage) and c.__module__ == loaded.__name__]
        if len(classes) != 1:
            raise RuntimeError(f"{loaded.__name__} must define one Stage, not {len(classes)}.")
        found.append(classes[0]())
    return {s.name: s for s in sorted(found, key=lambda s: s.position)}


# Every stage by name, in the order of a batch's life.
STAGES: dict[str, Stage] = _discover()


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


class _Names:
    """The names of the stages with a property, read from the registry whenever asked."""

    def __init__(self, having: Callable[[Stage], bool]) -> None:
        self.having = having

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(names(self.having)))

    def __contains__(self, value: object) -> bool:
        found = STAGES.get(value) if isinstance(value, str) else None
        return found is not None and bool(self.having(found))


class OneOfStages(validate.OneOf):
    """``OneOf`` the registered stages (with a property) when the value is loaded: stages may be added later."""

    def __init__(self, having: Callable[[Stage], bool] = lambda s: True) -> None:
        super().__init__(_Names(having))

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.choices:  # most values: no need to spell out the choices
            return value
        self.choices_text = ", ".join(self.choices)
        return super().__call__(value)


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
