"""What a stage is: the type each stage module subclasses, with the hooks services and interop call.

A stage module owns everything particular to its stage: the schema of its data, its CBV bizStep
and disposition, its effect on the batches it concerns, how it maps to EPCIS and to KDE rows, what
the public page lists of it, and the labels of its name and fields (marked for translation).
Services and interop read a stage's attributes and call its hooks; they never compare its name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeAlias

from flask_babel import LazyString, force_locale
from marshmallow import Schema
from sqlalchemy.orm import Session

from trace.errors import ValidationError
from trace.extensions import LOCALES
from trace.models import Batch, Organization
from trace.schemas.stage_extra import with_template_keys

CBV = "https://ref.gs1.org/cbv/BizStep-"

Label: TypeAlias = "LazyString | str"
Detail: TypeAlias = "tuple[Label, Any]"


class PageView(Protocol):
    """What the lookup page offers a stage to show its data: formatting in the page's language."""

    lang: str

    def amount(self, value: Any, uom: str | None) -> str | None:
        """Return a quantity with its unit's name."""

    def organization(self, org_id: Any) -> str | None:
        """Return an organization's name, or None when ``org_id`` is not one."""

    def temperatures(self, readings: Any) -> str | None:
        """Return the span of a list of temperature readings."""

    def lines(self, role: str) -> str | None:
        """Return the event's input or output batch lines."""

    def days(self, n: int) -> str:
        """Return a number of days."""

    def join(self, items: list[str]) -> str | None:
        """Return items as a list in the page's language (its list separator), or None when there are none."""


def in_language(label: Label, lang: str) -> str:
    """Return a label in a page language (``zh`` or ``en``); needs an application context."""
    with force_locale(LOCALES.get(lang, LOCALES["zh"])):
        return str(label)


def json_number(value: Any) -> int | float:
    """Return a decimal as a JSON number (exact: quantities have at most 15 significant digits)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def exact(value: Any) -> str:
    """Return a JSON number as the decimal string it was written as (no exponent)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a quantity")
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Stage:
    """One stage of a batch's life; each stage module defines a subclass and the registry holds one instance.

    Attributes a subclass sets describe the stage; hooks it overrides say what differs from the
    defaults (no effect on the batch, nothing special in EPCIS, every labelled field listed on the page).
    """

    name: ClassVar[str]
    position: ClassVar[int]  # where it comes in a batch's life: the registry's order
    label: ClassVar[Label]
    biz_step: ClassVar[str]
    schema: ClassVar[type[Schema]]
    # Labels of the data fields, by their JSON key; and of enumerated values, by key then value.
    labels: ClassVar[Mapping[str, Label]] = {}
    values: ClassVar[Mapping[str, Mapping[str, Label]]] = {}

    # Where it may be recorded.
    universal: ClassVar[bool] = False  # any batch, whatever its category's template lists
    transformation: ClassVar[bool] = False  # may split or merge batches through /transformations
    transformation_only: ClassVar[bool] = False  # only through /transformations
    service_fields: ClassVar[frozenset[str]] = frozenset()  # data only a service may set (POST /events refuses)
    # Private values (prices, buyers): never signed or shown in clear; the record holds their salted hash
    # (``commitment``) and services/records/private.py keeps them where only the permitted may read them.
    private_fields: ClassVar[frozenset[str]] = frozenset()
    service_only: ClassVar[bool] = False  # only a service records it (registration, corrections): POST /events refuses
    recorded_through: ClassVar[str] = ""  # where its service records it, for the refusal's message
    inspectors_record: ClassVar[bool] = False  # inspectors record it on any batch
    labs_record: ClassVar[bool] = False  # laboratories record it, answering a request or sample (services/quality)
    producers_record: ClassVar[bool] = True  # the batch's producer or holder records it
    vouches: ClassVar[bool] = False  # its records say who vouches for a result (``basis``): services/quality checks

    # What it means, for the rules that read a batch's history.
    ordered: ClassVar[bool] = False  # happens once, in the category template's order
    harvests: ClassVar[bool] = False
    applies_inputs: ClassVar[bool] = False
    inspects: ClassVar[bool] = False
    sells: ClassVar[bool] = False
    ships: ClassVar[bool] = False  # hands the batch to the organization in ``party_field``
    receives: ClassVar[bool] = False  # takes the batch from the organization in ``party_field``
    recalls: ClassVar[bool] = False
    certifies: ClassVar[bool] = False  # issues a 承诺达标合格证
    cold_chain: ClassVar[bool] = False  # its ``temperatures`` are storage or transport readings

    # EPCIS and KDE.
    disposition: ClassVar[str | None] = None  # CBV disposition (the part after ``Disp-``)
    epcis_action: ClassVar[str] = "OBSERVE"
    party_field: ClassVar[str | None] = None  # data key holding the other organization's id
    captured_biz_steps: ClassVar[tuple[str, ...]] = ()  # bare CBV bizSteps of other systems' events it takes
    cte: ClassVar[str] = ""  # FSMA 204 critical tracking event
    references: ClassVar[tuple[tuple[str, str], ...]] = ()  # (data key, bilingual label) of reference documents

    def __repr__(self) -> str:
        return f"<Stage {self.name}>"

    @functools.cached_property
    def loader(self) -> Schema:
        """Return the schema instance: schemas keep no state between loads, and building one is slow.

        Every stage's data may also hold the category template's ``extra`` fields and ``templates`` versions.
        """
        return with_template_keys(self.schema)()

    @functools.cached_property
    def field_keys(self) -> frozenset[str]:
        """Return the data's JSON keys."""
        return frozenset(f.data_key or name for name, f in self.loader.fields.items())

    def title(self, lang: str) -> str:
        """Return the stage's name in a page language."""
        return in_language(self.label, lang)

    # --- effect on the batches ---------------------------------------------------------------
    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        """Update what the stage changes of its batches (status, custodian, available); validate references."""

    # --- EPCIS -------------------------------------------------------------------------------
    def disposition_of(self, data: dict[str, Any]) -> str | None:
        """Return the CBV disposition of one record of the stage."""
        return self.disposition

    def from_epcis(self, event: dict[str, Any], organization: Callable[[str], int]) -> dict[str, Any]:
        """Return the stage data of another system's EPCIS event (``organization`` maps a party URI to an id)."""
        return {}

    # --- KDE ---------------------------------------------------------------------------------
    def ship_from_to(self, data: dict[str, Any], own: str, name: Callable[[Any], str]) -> tuple[str, str]:
        """Return the KDE row's ship-from and ship-to organization names."""
        return "", ""

    # --- public page -------------------------------------------------------------------------
    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        """Return what the public page lists of a record: (label, value) pairs, values already formatted.

        By default every labelled field that holds text or a number, enumerated values by their label.
        """
        shown = []
        for key, label in self.labels.items():
            if "." in key:  # a field of a nested list
                continue
            value = data.get(key)
            if key in self.values and isinstance(value, str):
                value = self.values[key].get(str(value), str(value))
            shown.append((label, value))
        return shown

    def value_label(self, key: str, value: Any) -> Label | None:
        """Return the label of an enumerated value, or None."""
        return self.values.get(key, {}).get(str(value)) if value is not None else None


# --- helpers stage modules share -----------------------------------------------------------------
def epcis_quantity(event: dict[str, Any]) -> dict[str, Any]:
    """Return ``quantity`` and ``uom`` of an ObjectEvent naming one quantity, else nothing."""
    lines = event.get("quantityList") or []
    if len(lines) == 1 and "quantity" in lines[0]:
        return {"quantity": exact(lines[0]["quantity"]), "uom": lines[0].get("uom")}
    return {}


def epcis_temperatures(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the Celsius readings of an EPCIS event's sensorElementList as ``temperatures``."""
    return [
        {"time": r.get("time") or element.get("sensorMetadata", {}).get("time") or event["eventTime"],
         "celsius": exact(r["value"])}
        for element in event.get("sensorElementList", []) for r in element["sensorReport"]
        if r.get("type") == "Temperature" and r.get("uom", "CEL") == "CEL" and "value" in r]


def epcis_party(event: dict[str, Any], kind: str, stage: str, organization: Callable[[str], int]) -> int:
    """Return the organization id of an event's first ``source`` or ``destination`` party."""
    parties = event.get(f"{kind}List") or []
    if not parties:
        raise ValidationError(f"A {stage} event needs a {kind}.", errors={"bizStep": [stage]})
    return organization(parties[0][kind])


def organization_exists(session: Session, data: dict[str, Any], key: str, what: str) -> int:
    """Return the organization id a stage's data names, or refuse the record."""
    org_id = data[key]
    if session.get(Organization, org_id) is None:
        raise ValidationError(f"Unknown {what}.", errors={"data": {key: ["No such organization."]}})
    return int(org_id)
