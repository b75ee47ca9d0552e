"""Versioned category templates: admins change them, records name the version they were checked against.

A template version is never changed: a change makes version N+1 and the category points at it.
A record's data names, under ``templates``, the version of each category whose template says
anything about its stage (required fields or extra fields); the server fills in the current
versions when a user's record does not name them. A record naming an older version is checked
against that version, so a scanner's record made before a field became required stays valid.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from trace.errors import NotFoundError, ValidationError
from trace.models import Category, CategoryTemplate, Event, User
from trace.models.organization import Role
from trace.schemas.stage_extra import NamedTemplates, canonical_decimal
from trace.services.organizations.permissions import require_role
from trace.stages import universal_stages

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DEFAULT_MAX_LENGTH = 200


def get_category(session: Session, code: str) -> Category:
    """Return a category by code or raise NotFoundError."""
    category = session.scalar(sa.select(Category).where(Category.code == code))
    if category is None:
        raise NotFoundError(f"No category {code}.")
    return category


def template_version(session: Session, category: Category, version: int) -> CategoryTemplate | None:
    """Return one version of a category's template (versions never change: kept for the session)."""
    if version == category.template_version:
        return category.current_template
    key = ("category_template", category.id, version)
    found: CategoryTemplate | None = session.info.get(key)
    if found is None:  # a missing version is not remembered: it may be made later in the session
        found = session.scalar(sa.select(CategoryTemplate).where(
            CategoryTemplate.category_id == category.id, CategoryTemplate.version == version))
        if found is not None:
            session.info[key] = found
    return found


def get_template(session: Session, code: str, version: int | None = None) -> CategoryTemplate:
    """Return a category's current template, or one of its versions; raise NotFoundError."""
    category = get_category(session, code)
    found = template_version(session, category, category.template_version if version is None else version)
    if found is None:
        raise NotFoundError(f"Category {code} has no template version {version}.")
    return found


def list_versions(session: Session, code: str) -> list[CategoryTemplate]:
    """Return every version of a category's template, oldest first."""
    return list(get_category(session, code).versions)


def add_version(session: Session, category: Category, stages: list[dict[str, Any]],
                actor: User | None) -> CategoryTemplate:
    """Make the next version of a category's template (stages in stored form) and point the category at it."""
    latest = session.scalar(sa.select(sa.func.max(CategoryTemplate.version))
                            .where(CategoryTemplate.category_id == category.id)) if category.id else None
    template = CategoryTemplate(category=category, version=(latest or 0) + 1, stages=stages,
                                created_by=actor.id if actor else None)
    session.add(template)
    category.template_version = template.version
    session.flush()
    session.expire(category, ["current_template", "versions"])
    return template


def put_template(
    session: Session, actor: User, code: str, stages: list[dict[str, Any]]
) -> tuple[CategoryTemplate, bool]:
    """Make a new version of a category's template (admins only); unchanged content makes none.

    Returns the current version and whether it is new.
    """
    require_role(actor, Role.ADMIN)
    category = get_category(session, code)
    if category.current_template.stages == stages:
        return category.current_template, False
    return add_version(session, category, stages, actor), True


def check_stage_data(session: Session, stage: str, data: dict[str, Any], categories: Sequence[Category], *,
                     present: Callable[[], Collection[str]], fill: bool) -> dict[str, Any]:
    """Check a record's stage data against the template versions it names (or the current ones).

    ``present`` returns the data's keys with the schema's defaults; ``fill`` lets the server add
    the versions and canonical numbers (not for device-signed records: those must already have
    them right). Returns what to change in the stored data: ``templates`` and ``extra``, or nothing.
    """
    named: dict[str, int] = data.get("templates") or {}
    extra: dict[str, Any] = data.get("extra") or {}
    unique = list({c.id: c for c in categories}.values())
    stray = sorted(set(named) - {c.code for c in unique})
    if stray:
        raise ValidationError("The record names templates of categories it does not touch.",
                              errors={"data": {"templates": {c: ["No batch of this category."] for c in stray}}})
    versions: dict[str, int] = {}
    definitions: dict[str, list[dict[str, Any]]] = {}
    for category in unique:
        template = _version_for(session, category, named)
        stages = [step["stage"] for step in template.stages]
        if stage not in stages and stage not in universal_stages():
            raise ValidationError(
                f"Stage {stage} is not part of the {category.code} template.",
                errors={"stage": [f"{category.code} expects: {', '.join(stages)}."]},
            )
        step = template.step(stage) or {}
        missing = [f for f in step.get("requires", []) if f not in data]
        if missing:  # a field the schema fills in by default counts as given
            missing = [f for f in missing if f not in present()]
        if missing:
            raise ValidationError(
                f"The {category.code} template requires {', '.join(missing)} for {stage}.",
                errors={"data": {f: ["Required by the category template."] for f in missing}},
            )
        if step.get("requires") or step.get("fields"):
            versions[category.code] = template.version
        for definition in step.get("fields", []):
            definitions.setdefault(definition["name"], []).append({**definition, "category": category.code})
    canonical = _check_extra(extra, definitions)
    changes: dict[str, Any] = {}
    if canonical != extra:
        if not fill:
            raise ValidationError("A device-signed record's extra fields must already be canonical.",
                                  errors={"data": {"extra": {n: ["Not in canonical form."] for n in canonical
                                                             if canonical[n] != extra.get(n)}}})
        changes["extra"] = canonical
    if fill and {**versions, **named} != named:
        changes["templates"] = {**versions, **named}
    return changes


def _version_for(session: Session, category: Category, named: dict[str, int]) -> CategoryTemplate:
    if category.code not in named:
        return category.current_template
    template = template_version(session, category, named[category.code])
    if template is None:
        raise ValidationError(f"Category {category.code} has no template version {named[category.code]}.",
                              errors={"data": {"templates": {category.code: ["No such version."]}}})
    return template


def _check_extra(extra: dict[str, Any], definitions: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Return the extra values in canonical form, or raise naming each field that is wrong."""
    errors: dict[str, list[str]] = {}
    canonical: dict[str, Any] = {}
    for name in sorted(extra.keys() - definitions.keys()):
        errors[name] = ["Not a field of this stage's template."]
    for name, defs in definitions.items():
        if extra.get(name) is None:
            required = [d["category"] for d in defs if d.get("required")]
            if required:
                errors[name] = [f"Required by the {', '.join(required)} template."]
            elif name in extra:
                errors[name] = ["Field may not be null."]
            continue
        value = extra[name]
        for definition in defs:
            try:
                value = _check_value(definition, extra[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
                break
        canonical[name] = value
    if errors:
        raise ValidationError("The extra fields do not fit the category template.",
                              errors={"data": {"extra": errors}})
    return canonical


def _check_value(definition: dict[str, Any], value: Any) -> Any:
    """Return a value in canonical form, or raise ValueError saying what is wrong with it."""
    kind = definition["type"]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("Not a valid boolean (true or false).")
        return value
    if kind == "number":
        return _check_number(definition, value)
    if not isinstance(value, str):
        raise ValueError("Not a valid string.")
    if kind == "enum":
        values = [o["value"] for o in definition["options"]]
        if value not in values:
            raise ValueError(f"Must be one of: {', '.join(values)}.")
    elif kind == "date":
        try:
            if not DATE.fullmatch(value):
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("Not a valid date (YYYY-MM-DD).") from None
    else:
        limit = definition.get("maxLength", DEFAULT_MAX_LENGTH)
        if not 1 <= len(value) <= limit:
            raise ValueError(f"Length must be between 1 and {limit}.")
        if any((ord(c) < 32 and c not in "\t\n") or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("Contains control characters or lone surrogates.")
    return value


def _check_number(definition: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):  # JSON numbers load as Decimal
        raise ValueError("Not a valid number.")
    text = repr(value) if isinstance(value, float) else str(value)
    if not NUMBER.fullmatch(text):
        raise ValueError("Not a valid number.")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("Not a valid number.") from None
    canonical = canonical_decimal(number)
    whole, _, fraction = canonical.lstrip("-").partition(".")
    if len(whole) > 15 or len(fraction) > 9:
        raise ValueError("At most 15 digits before the point and 9 after.")
    low, high = definition.get("min"), definition.get("max")
    if low is not None and number < Decimal(low) or high is not None and number > Decimal(high):
        raise ValueError(f"Must be between {low if low is not None else '-∞'} and {high if high is not None else '∞'}.")
    return canonical


def named_templates(session: Session, events: Sequence[Event]) -> NamedTemplates:
    """Return the stages of every template version the events' data names, for labelling their extra fields."""
    wanted = {(code, version) for e in events if isinstance(e.data, dict)
              for code, version in (e.data.get("templates") or {}).items()}
    if not wanted:
        return {}
    query = (sa.select(CategoryTemplate).join(CategoryTemplate.category)
             .options(contains_eager(CategoryTemplate.category))
             .where(Category.code.in_({code for code, _ in wanted})))
    found = {(t.category.code, t.version): t.stages for t in session.scalars(query)}
    return {key: stages for key, stages in found.items() if key in wanted}
