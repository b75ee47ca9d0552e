"""The township register: townships and villages by official division code, and where organizations are.

Administrators keep the register; an organization is placed in one township (and optionally one
of its villages). ``Organization.township_code`` is what scopes a township station and what
statistics group by; each placement is kept with its time (``OrganizationTownship``) so a record
counts in the township its organization was in when it was recorded.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, ValidationError
from trace.models import Organization, OrganizationTownship, Township, User, Village
from trace.models.organization import Role
from trace.services.organizations.permissions import require_role

CODE = re.compile(r"^[1-9][0-9]{11}$")


def _check_code(code: str, field: str = "code") -> None:
    if not CODE.match(code):
        raise ValidationError(f"{code!r} is not a 12-digit division code (统计用区划代码).",
                              errors={field: ["Twelve digits, e.g. 331124100000."]})


def is_township_code(code: str) -> bool:
    """Tell whether a division code names a township: 12 digits, a township part, ending in 000."""
    return bool(CODE.match(code)) and code[6:9] != "000" and code.endswith("000")


def list_townships(session: Session, county_code: str | None = None) -> list[Township]:
    """Return the register's townships by code (those of one county if given), villages loaded."""
    query = sa.select(Township).order_by(Township.code)
    if county_code:
        query = query.where(Township.code.startswith(county_code, autoescape=True))
    return list(session.scalars(query))


def get_township(session: Session, code: str) -> Township:
    """Return a township by its code or raise NotFoundError."""
    township = session.get(Township, code)
    if township is None:
        raise NotFoundError(f"No township {code} in the register.")
    return township


def get_village(session: Session, code: str) -> Village:
    """Return a village by its code or raise NotFoundError."""
    village = session.get(Village, code)
    if village is None:
        raise NotFoundError(f"No village {code} in the register.")
    return village


def create_township(session: Session, actor: User | None, fields: dict[str, Any]) -> Township:
    """Add a township (admins; ``actor=None`` is the CLI and the demo)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    code = fields["code"]
    _check_code(code)
    if not is_township_code(code):
        raise ValidationError(f"{code} is not a township's code: digits 7–9 name the township, the last three are 000.",
                              errors={"code": ["A township's code ends in 000 and its digits 7–9 are not 000."]})
    if session.get(Township, code) is not None:
        raise ConflictError(f"Township {code} is already in the register.", errors={"code": ["Taken."]})
    township = Township(code=code, name=fields["name"], name_en=fields.get("name_en"))
    session.add(township)
    session.flush()
    return township


def create_village(session: Session, actor: User | None, township: Township, fields: dict[str, Any]) -> Village:
    """Add a village to a township (admins); its code starts with the township's first nine digits."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    code = fields["code"]
    _check_code(code)
    if code[:9] != township.code[:9] or code.endswith("000"):
        raise ValidationError(f"{code} is not a village of township {township.code}.",
                              errors={"code": [f"Starts with {township.code[:9]} and does not end in 000."]})
    if session.get(Village, code) is not None:
        raise ConflictError(f"Village {code} is already in the register.", errors={"code": ["Taken."]})
    village = Village(code=code, township_code=township.code, name=fields["name"], name_en=fields.get("name_en"))
    session.add(village)
    session.flush()
    return village


def rename_division(session: Session, actor: User, division: Township | Village, fields: dict[str, Any]) -> None:
    """Change a township's or village's names (admins); codes never change, and placed organizations follow."""
    require_role(actor, Role.ADMIN)
    if "name" in fields:
        division.name = fields["name"]
    if "name_en" in fields:
        division.name_en = fields["name_en"]
    division.updated_at = utcnow()
    column = Organization.township_code if isinstance(division, Township) else Organization.village_code
    text = Organization.township if isinstance(division, Township) else Organization.village
    session.execute(sa.update(Organization).where(column == division.code).values({text: division.name}))
    session.flush()


def place_organization(
    session: Session, actor: User | None, org: Organization, township_code: str | None, village_code: str | None = None
) -> Organization:
    """Put an organization in a township of the register (and a village of it), or take it out (admins)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    township = get_township(session, township_code) if township_code else None
    village = get_village(session, village_code) if village_code else None
    if village is not None and (township is None or village.township_code != township.code):
        raise ValidationError(f"Village {village.code} is not in township {township_code}.",
                              errors={"village": ["Not in that township."]})
    moved = org.township_code != township_code
    if village is not None:
        org.village = village.name
    elif moved:
        org.village = None  # a free-text village name belongs to the township the organization left
    org.township_code = township.code if township else None
    org.township = township.name if township else None
    org.village_code = village.code if village else None
    if moved or session.scalar(sa.select(OrganizationTownship.id)
                               .where(OrganizationTownship.organization_id == org.id).limit(1)) is None:
        session.add(OrganizationTownship(organization_id=org.id, township_code=org.township_code, since=utcnow()))
    session.flush()
    return org

