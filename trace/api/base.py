"""The v1 HTTP API: thin views that parse, call one service, dump."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from trace.db import db, write_intent, writing
from trace.errors import (
    AuthenticationError,
    ConflictError,
    MalformedRequestError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from trace.ledger.numbers import GrammarError, loads_exact
from trace.models import User
from trace.schemas.common import MAX_LOG_INDEX, MAX_ROW_ID
from trace.services.signing.keys import LedgerConfig

api = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RowIdConverter(IntegerConverter):
    """``<id:name>``: a row id in URLs; one no row can have is 404, not a database overflow."""

    regex = r"[0-9]+"  # ASCII digits: a bare \d would take "٥" too

    def to_python(self, value: str) -> int:
        number = int(value) if len(value) <= 18 else MAX_ROW_ID + 1
        if not 1 <= number <= MAX_ROW_ID:
            # Not a routing miss: that would turn POST into 405 when a GET rule has the same path.
            raise NotFound(f"There is nothing with the id {value}.")
        return number


class LogIndexConverter(IntegerConverter):
    """``<index:name>``: a log index; one beyond any log (or not plain ASCII digits) is 404."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value) if len(value) <= 18 else MAX_LOG_INDEX + 1
        if number > MAX_LOG_INDEX:
            raise NotFound(f"There is no log entry {value}.")
        return number


def _register_converters(state: Any) -> None:
    state.app.url_map.converters.setdefault("id", RowIdConverter)
    state.app.url_map.converters.setdefault("index", LogIndexConverter)


api.record_once(_register_converters)


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says about one operation."""

    rule: str
    method: str
    summary: str
    tag: str
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    query: type[Schema] | None = None
    auth: bool = True
    produces: str = "application/json"
    consumes: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = field(default=())
    limited: bool = False  # rate-limited per client address (429)
    replays: bool = False  # the same request again (same id) answers 200 with what the first made


ROUTES: list[RouteDoc] = []


def route(rule: str, method: str, summary: str, tag: str, **doc: Any) -> Callable[[F], F]:
    """Register a view on the API blueprint and describe it for the OpenAPI document."""

    def decorate(view: F) -> F:
        ROUTES.append(RouteDoc(rule=rule, method=method, summary=summary, tag=tag, **doc))
        api.add_url_rule(rule, endpoint=view.__name__,
                         view_func=_transactional(view) if method not in SAFE_METHODS else view,
                         methods=[method])
        return view

    return decorate


def _transactional(view: F) -> F:
    """Commit once when the view succeeds; roll back on any error; a lost race is a 409."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = view(*args, **kwargs)
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            raise ConflictError("The change conflicts with data recorded meanwhile; retry.") from exc
        except BaseException:
            db.session.rollback()
            raise
        return result

    return wrapper  # type: ignore[return-value]


# No request needs deeper JSON; recursive code further on (signing, storage) must not meet it.
MAX_JSON_DEPTH = 32


def _too_deep(value: Any, limit: int) -> bool:
    """Tell whether objects and arrays nest deeper than ``limit`` (walked level by level; scalars skipped)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            below.extend(c for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, dict | list))
        level, depth = below, depth + 1
    return False


def json_body(accept: tuple[str, ...] = ("application/json",)) -> Any:
    """Return the parsed JSON body with exact decimals, or raise a clear error.

    Numbers become ints and Decimals, never binary floats; a number literal no field could
    take (longer than 64 characters, or like 1e50000000) is a 422 before anything reads it.
    ``accept``: the JSON media types the route takes (capture also takes application/ld+json).
    """
    if request.mimetype not in accept:
        media = (" 或 ".join(accept), " or ".join(accept))
        raise UnsupportedMediaTypeError(f"请以 {media[0]} 发送请求体。Send the body as {media[1]}.")
    raw = request.get_data(cache=True)
    too_deep = f"The body's JSON is nested deeper than {MAX_JSON_DEPTH} levels."
    try:
        body = loads_exact(raw)
    except GrammarError as exc:
        raise ValidationError(str(exc), errors={"_body": [str(exc)]}) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequestError(f"The body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedRequestError(too_deep) from exc
    if _too_deep(body, MAX_JSON_DEPTH):
        raise MalformedRequestError(too_deep)
    return body


def load(schema: Schema, data: Any, detail: str = "The request has invalid fields.") -> Any:
    """Validate data with a schema, turning its errors into a 422 problem."""
    try:
        return schema.load(data)
    except SchemaValidationError as exc:
        raise ValidationError(detail, errors=exc.normalized_messages()) from exc


def load_query(schema: Schema) -> dict[str, Any]:
    """Validate the query string with a schema: a bad or unknown parameter is a 422 naming it."""
    return load(  # type: ignore[no-any-return]
        schema, request.args.to_dict(), "查询参数无效。The query string has invalid parameters."
    )


def ledger_config() -> LedgerConfig:
    """Return the deployment's ledger settings."""
    return current_app.extensions["trace.ledger"]  # type: ignore[no-any-return]


def current_user() -> User:
    """Return the authenticated user or raise 401."""
    user: User | None = g.get("user")
    if user is None:
        raise AuthenticationError("Send a bearer token: Authorization: Bearer <token>.")
    return user


def created(payload: Any, status: int = 201, **headers: str) -> Response:
    """Return a JSON response with a status and headers."""
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers)
    return response


@api.before_request
def _authenticate() -> None:
    if request.method not in SAFE_METHODS:
        g.write_token = write_intent.set(True)
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationError("Use Authorization: Bearer <token>.")
    from trace.services.organizations.organizations import ENROL_SCOPE, authenticate

    g.user, g.token_to_touch, g.token = authenticate(db.session(), secret.strip())
    if g.token.scope == ENROL_SCOPE and request.endpoint != "api.enroll_device":
        raise AuthenticationError("An enrolment code only enrols a scanner device (POST /api/v1/devices).")


@api.after_request
def _record_token_use(response: Response) -> Response:
    """Write the token's last use (at most every few minutes), after the request's own work.

    In a transaction of its own: the request's has committed or is discarded anyway. A failure
    (a busy database) only loses this note, never the response.
    """
    token_id = g.pop("token_to_touch", None)
    if token_id is None:
        return response
    from trace.services.organizations.organizations import record_token_use

    db.session.rollback()
    try:
        with writing():
            record_token_use(db.session(), token_id)
            db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("could not record the use of token %s", token_id, exc_info=True)
    return response


@api.teardown_request
def _end_write(_exc: BaseException | None) -> None:
    token = g.pop("write_token", None)
    if token is not None:
        write_intent.reset(token)

