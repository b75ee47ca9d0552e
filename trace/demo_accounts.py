"""Console users for the demo county: one per role, random passwords printed once and kept in the instance folder."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.demo import COUNTY, DEMO_MARKER
from trace.models import Organization, User
from trace.services.organizations.accounts import add_account, random_password
from trace.services.organizations.organizations import create_organization
from trace.services.organizations.township_seeds import township_code_named

ACCOUNTS_FILE = "demo-accounts.txt"
STATION = "新兴镇农业综合服务站"
# (username, role, organization name): the organizations load_demo makes, and a station for 新兴镇's producers.
DEMO_ACCOUNTS = (
    ("demo.admin", "admin", DEMO_MARKER),
    ("demo.producer", "producer", "松阳县银猴茶叶专业合作社"),
    ("demo.station", "station", STATION),
    ("demo.lab", "lab", "松阳县农产品质量安全检测站"),
    ("demo.inspector", "inspector", DEMO_MARKER),
)


def add_demo_accounts(session: Session, instance_path: str | Path) -> list[str]:
    """Create the demo's console users; write their passwords to ``demo-accounts.txt`` (0600); return its lines."""
    if session.scalar(sa.select(Organization.id).where(Organization.name == STATION)) is None:
        create_organization(session, None, {"kind": "station", "name": STATION,
                                             "name_en": "Xinxing Township Agricultural Service Station (demo)",
                                             "region": {**COUNTY, "township_code": township_code_named("新兴镇")}})
    lines = []
    for username, role, org_name in DEMO_ACCOUNTS:
        if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue  # a demo loaded again (--force) keeps the users it had
        org = session.scalar(sa.select(Organization).where(Organization.name == org_name).order_by(Organization.id))
        assert org is not None, org_name
        password = random_password()
        add_account(session, None, org, username, role, password)
        lines.append(f"{role:<10} {username:<16} {password}  ({org.name})")
    if not lines:
        return lines
    path = Path(instance_path) / ACCOUNTS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file was there before, with other bits
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# Demo console users (role, username, password); sign in at /login\n")
        fh.write("\n".join(lines) + "\n")
    return lines
