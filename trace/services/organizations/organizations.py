"""Organizations, their members and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from trace.ledger.policy import ROLE_KINDS, role_fits
from trace.models import ApiToken, Organization, User
from trace.models.organization import Role
from trace.services.organizations.permissions import require_role
from trace.services.organizations.townships import place_organization

TOKEN_PREFIX = "sy_"


def hash_token(secret: str) -> str:
    """Return the stored form of a token (tokens are 256-bit random, so SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_organization(session: Session, actor: User | None, fields: dict[str, Any]) -> Organization:
    """Register an organization (admins only; ``actor=None`` is the CLI)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    code = fields.get("credit_code")
    if code and session.scalar(sa.select(Organization.id).where(Organization.credit_code == code)):
        raise ConflictError(f"An organization with credit code {code} exists.", errors={"creditCode": ["Taken."]})
    region, contact = fields["region"], fields.get("contact") or {}
    org = Organization(
        kind=fields["kind"],
        name=fields["name"],
        name_en=fields.get("name_en"),
        credit_code=code,
        province=region["province"],
        county=region["county"],
        township=region.get("township"),
        village=region.get("village"),
        contact_name=contact.get("name"),
        contact_phone=contact.get("phone"),
    )
    session.add(org)
    session.flush()
    if region.get("township_code"):
        place_organization(session, None, org, region["township_code"], region.get("village_code"))
    return org


def get_organization(session: Session, organization_id: int) -> Organization:
    """Return an organization or raise NotFoundError."""
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFoundError(f"No organization {organization_id}.")
    return org


def list_organizations(session: Session) -> list[Organization]:
    """Return every organization by id."""
    return list(session.scalars(sa.select(Organization).order_by(Organization.id)))


def add_member(session: Session, actor: User | None, org: Organization, name: str, role: str) -> User:
    """Add a user to an organization (admins only)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    exists = session.scalar(sa.select(User.id).where(User.organization_id == org.id, User.name == name))
    if exists:
        raise ConflictError(f"{org.name} already has a member named {name}.", errors={"name": ["Taken."]})
    if not role_fits(role, org.kind):
        raise ValidationError(f"The {role} role is for organizations of kind {', '.join(sorted(ROLE_KINDS[role]))}.",
                              errors={"role": [f"Not for a {org.kind}."]})
    user = User(organization_id=org.id, name=name, role=role)
    session.add(user)
    session.flush()
    return user


def get_member(session: Session, org: Organization, user_id: int) -> User:
    """Return a member of the organization or raise NotFoundError."""
    user = session.get(User, user_id)
    if user is None or user.organization_id != org.id:
        raise NotFoundError(f"No member {user_id} in organization {org.id}.")
    return user


def issue_token(session: Session, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for a user; return it with its secret, which is never stored."""
    if actor is not None and actor.id != user.id:
        require_role(actor, Role.ADMIN)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=hash_token(secret))
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(session: Session, actor: User, user: User) -> list[ApiToken]:
    """Return a member's tokens, newest first (to the member, or an admin): names, prefixes, last use."""
    if actor.id != user.id:
        require_role(actor, Role.ADMIN)
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke a token (its owner or an admin)."""
    token = session.get(ApiToken, token_id)
    if token is None or (actor.role != Role.ADMIN and token.user_id != actor.id):
        raise NotFoundError(f"No token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token


# A token's last use is written at most this often: a write per request would serialize readers.
TOKEN_USE_PRECISION = dt.timedelta(minutes=5)


def authenticate(session: Session, secret: str) -> tuple[User, int | None]:
    """Return the user a bearer token belongs to, and the token's id when its last use is stale.

    Raises AuthenticationError for an unknown or revoked token or a disabled user.
    """
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None or token.user.disabled_at is not None:
        raise AuthenticationError("The token is unknown or revoked.")
    stale = token.last_used_at is None or utcnow() - token.last_used_at >= TOKEN_USE_PRECISION
    return token.user, token.id if stale else None


def record_token_use(session: Session, token_id: int) -> None:
    """Note that a token was used now (unless another request just did)."""
    now = utcnow()
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_USE_PRECISION))
        .values(last_used_at=now)
    )
