"""The console's blueprint: who is signed in, the guards views put on, one transaction per form, its error pages.

Views use ``login_required`` / ``roles_required`` and ``current_account()``; a form view writes
inside ``committing()`` (one commit, or a rollback and nothing written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from trace.console.pages import render
from trace.db import db, write_intent
from trace.errors import TraceError
from trace.models import Organization, User
from trace.models.organization import Role

console = Blueprint("console", __name__)
F = TypeVar("F", bound=Callable[..., Any])

# Session keys: the user's id and the password epoch the session was made in (a newer one signs it out).
SESSION_USER, SESSION_EPOCH = "uid", "epoch"


@dataclass(frozen=True)
class Account:
    """The signed-in user, their organization and role: what every console view asks first."""

    user: User
    organization: Organization
    role: str

    def has(self, *roles: Role | str) -> bool:
        return self.role in roles


def current_account() -> Account | None:
    """Return the signed-in account of this request, or None."""
    return g.get("account")


def account() -> Account:
    """Return the signed-in account (in views behind ``login_required``)."""
    found = current_account()
    assert found is not None, "the view lacks @login_required"
    return found


def remote_addr() -> str | None:
    return request.remote_addr


@console.before_request
def _load_account() -> None:
    """Read the session cookie: a user who was disabled or whose password changed since is signed out."""
    uid = session.get(SESSION_USER)
    if uid is None:
        return
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or user.disabled_at is not None or session.get(SESSION_EPOCH) != user.session_epoch:
        session.clear()
        return
    g.account = Account(user=user, organization=user.organization, role=user.role)


@console.before_request
def _mark_writes() -> None:
    if request.method == "POST":
        g.console_write = write_intent.set(True)


@console.teardown_request
def _end_write(_exc: BaseException | None) -> None:
    token = g.pop("console_write", None)
    if token is not None:
        write_intent.reset(token)


def start_session(user: User) -> None:
    """Sign a user in: a fresh session (new CSRF secret: forms from before are stale)."""
    session.clear()
    session[SESSION_USER] = user.id
    session[SESSION_EPOCH] = user.session_epoch
    session.permanent = True


def end_session() -> None:
    session.clear()


def safe_next(target: str | None) -> str:
    """Return a same-site path to go on to after sign-in (never another host), else the console's home."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("console.home")


def login_required(view: F) -> F:
    """Send visitors who are not signed in to the sign-in page; users who must change their password there."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        found = current_account()
        if found is None:
            return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
        if found.user.must_change_password and request.endpoint not in PASSWORD_EXEMPT:
            return redirect(url_for("console.password"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# Pages a user who must change their password may still open.
PASSWORD_EXEMPT = frozenset({"console.password", "console.sign_out"})


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow a view to signed-in users of these roles only (others get a 403 page)."""

    def decorate(view: F) -> F:
        @login_required
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not account().has(*roles):
                return forbidden()
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@contextmanager
def committing() -> Iterator[None]:
    """Commit what the block wrote, or roll it all back if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def forbidden() -> Response:
    return render("console/message.html", status=403, title=_l("Not allowed"),
                  detail=_l("Your role may not open this page."))


@console.errorhandler(CSRFError)
def _csrf_error(_err: CSRFError) -> Response:
    db.session.rollback()
    return render("console/message.html", status=400, title=_l("The form was not accepted"),
                  detail=_l("The form had expired or did not come from this site, so nothing was saved. "
                            "Open the form again and send it once more."),
                  again=request.path)


@console.errorhandler(TraceError)
def _domain_error(err: TraceError) -> Response:
    db.session.rollback()
    titles = {403: _l("Not allowed"), 404: _l("Not found"), 409: _l("Conflict")}
    details = {403: _l("Your role may not do this."), 404: _l("Nothing is at this address."),
               409: _l("The change conflicts with the current state; reload and try again.")}
    return render("console/message.html", status=err.status, title=titles.get(err.status, _l("Not valid")),
                  detail=details.get(err.status, _l("Some of what was sent is not valid.")))


@console.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    titles = {404: _l("Not found"), 405: _l("Not allowed"), 413: _l("Too large"), 429: _l("Too many requests")}
    details = {404: _l("Nothing is at this address."), 405: _l("This address does not answer that kind of request."),
               413: _l("What was sent is too large."), 429: _l("Please try again in a minute.")}
    return render("console/message.html", status=status, title=titles.get(status, _l("Something went wrong")),
                  detail=details.get(status, _l("Please try again later.")))
