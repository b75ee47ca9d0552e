"""The console's forms (Flask-WTF: each carries a CSRF token), and how a service's refusal lands beside a field."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from trace.errors import ConflictError, TraceError, ValidationError
from trace.services.organizations.accounts import MAX_PASSWORD, MIN_PASSWORD

REQUIRED = _l("This field is required.")
PASSWORD_LENGTH = _l("A password has %(min)d to %(max)d characters.", min=MIN_PASSWORD, max=MAX_PASSWORD)
NAME_LENGTH = _l("At most %(max)d characters.", max=100)


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something (sign out, revoke, reset): only its CSRF token is sent."""


class SignInForm(FlaskForm):  # type: ignore[misc]
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=MAX_PASSWORD)])


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("New password"), validators=[
        DataRequired(REQUIRED), Length(min=MIN_PASSWORD, max=MAX_PASSWORD, message=PASSWORD_LENGTH)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two new passwords differ."))])


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("What the token is for"), validators=[DataRequired(REQUIRED), Length(max=100,
                                                                                              message=NAME_LENGTH)])


class UserForm(FlaskForm):  # type: ignore[misc]
    organization = SelectField(_l("Organization"), coerce=int, validate_choice=True)
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=64)])
    role = SelectField(_l("Role"))


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField(_l("Role"))


# The refusals a form shows beside its fields (anything else is an error page).
REFUSALS = (ValidationError, ConflictError)

# What a service's field error (its key and code) says beside the field.
FIELD_MESSAGES: Mapping[tuple[str, str], LazyString] = {
    ("current", "wrong"): _l("The current password is wrong."),
    ("password", "length"): PASSWORD_LENGTH,
    ("password", "username"): _l("The password must not be the username."),
    ("password", "same"): _l("The new password must differ from the current one."),
    ("username", "Taken."): _l("This username is taken."),
    ("username", "3–64 of a-z 0-9 . _ -"): _l("3 to 64 lower-case letters, digits, dots, dashes or underscores."),
    ("name", "Taken."): _l("This organization already has a member of this name."),
    ("role", "self"): _l("You cannot change your own role."),
    ("user", "self"): _l("You cannot do this to yourself."),
}


def show_errors(form: FlaskForm, err: TraceError) -> None:
    """Put a service's field errors beside the form's fields (the rest at the top of the form)."""
    for key, codes in (err.errors or {}).items():
        field = getattr(form, key, None)
        for code in codes if isinstance(codes, list) else [codes]:
            message = FIELD_MESSAGES.get((key, str(code)))
            text = str(message) if message is not None else _fallback(key, str(code))
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, text]
            else:
                form.form_errors.append(text)


def _fallback(key: str, code: str) -> str:
    if key == "role":
        return str(_l("This role does not fit the organization's kind."))
    return str(_l("Not valid: %(code)s", code=code))
