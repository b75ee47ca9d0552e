"""The console's forms (Flask-WTF: each carries a CSRF token), and how a service's refusal lands beside a field."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.validators import ValidationError as FieldError

from trace.codes.uscc import is_valid_uscc
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


class DeviceForm(FlaskForm):  # type: ignore[misc]
    label = StringField(_l("Where the scanner is (for example: warehouse gate 1)"),
                        validators=[DataRequired(REQUIRED), Length(max=60, message=_l("At most %(max)d characters.",
                                                                                      max=60))])


class RevokeDeviceForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=500, message=_l(
        "At most %(max)d characters.", max=500))])


class UserForm(FlaskForm):  # type: ignore[misc]
    organization = SelectField(_l("Organization"), coerce=int, validate_choice=True)
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=64)])
    role = SelectField(_l("Role"))


def _credit_code(_form: FlaskForm, field: StringField) -> None:
    if field.data and not is_valid_uscc(field.data.strip().upper()):
        raise FieldError(str(_l("Not a valid unified social credit code (18 characters, check character last).")))


class OrganizationForm(FlaskForm):  # type: ignore[misc]
    kind = SelectField(_l("Kind"))
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200, message=_l(
        "At most %(max)d characters.", max=200))])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[Optional(), _credit_code])
    province = StringField(_l("Province"), validators=[DataRequired(REQUIRED), Length(max=64)])
    county = StringField(_l("County"), validators=[DataRequired(REQUIRED), Length(max=64)])
    township = SelectField(_l("Township"))
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])


def _division_code(_form: FlaskForm, field: StringField) -> None:
    code = (field.data or "").strip()
    if len(code) != 12 or not code.isdigit() or code[0] == "0":
        raise FieldError(str(_l("A division code has 12 digits.")))


class DivisionForm(FlaskForm):  # type: ignore[misc]
    """A township or a village of the register: its official division code and names."""

    code = StringField(_l("Division code"), validators=[DataRequired(REQUIRED), _division_code])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=64, message=_l(
        "At most %(max)d characters.", max=64))])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=128)])


class PlaceForm(FlaskForm):  # type: ignore[misc]
    township = SelectField(_l("Township"))


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
    ("creditCode", "Taken."): _l("An organization with this credit code is registered already."),
    ("code", "Taken."): _l("This code is in the register already."),
    ("code", "A township's code ends in 000 and its digits 7–9 are not 000."):
        _l("A township's code ends in 000, and its digits 7 to 9 are not 000."),
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
