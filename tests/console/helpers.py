"""Helpers for console tests: accounts with known passwords, CSRF tokens read from pages, signing in."""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.factories import Factory
from trace.models import Organization, User
from trace.services.organizations.accounts import add_account

_serial = itertools.count(1)
PASSWORD = "a long enough password"
KIND_FOR_ROLE = {"admin": "authority", "inspector": "authority", "lab": "inspection_agency", "station": "station",
                 "producer": "cooperative"}


def make_account(make: Factory, role: str = "producer", org: Organization | None = None,
                 password: str = PASSWORD) -> User:
    """Return a committed console user of the role (in a new organization of a fitting kind unless given)."""
    org = org or make.org(KIND_FOR_ROLE[role])
    user = add_account(make.session, None, org, f"{role}{next(_serial)}", role, password)
    make.session.commit()
    return user


def csrf_of(html: str) -> str:
    """Return the first CSRF token of a page's forms."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form; return the response (302 to the console when it worked)."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


def field_errors(html: str, field: str) -> list[str]:
    """Return the messages shown beside a field."""
    block = re.search(rf'<div class="err" id="{field}-err"[^>]*>(.*?)</div>', html, re.S)
    return re.findall(r'<p class="err">([^<]*)</p>', block.group(1)) if block else []


def alerts(html: str) -> list[str]:
    return re.findall(r'<p class="alert" role="alert">([^<]*)</p>', html)
