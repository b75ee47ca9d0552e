"""Attachments: upload once, cite by hash in records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema

from trace.api.base import created, current_user, load_query, route
from trace.db import db
from trace.errors import MalformedRequestError
from trace.schemas.common import Text
from trace.services.records import attachments as svc

TAG = "Attachments"


class AttachmentQuery(Schema):
    name = Text(200, min_len=0, load_default="", metadata={"description": "the file's name; default its hash"})


def _root() -> Path:
    return Path(current_app.instance_path)


@route(
    "/attachments",
    "POST",
    "Upload an inspection report or photo (raw body ≤ 10 MB; ?name=): the type is read from the content (PDF, "
    "JPEG, PNG or WebP; a declared Content-Type must agree); images ≤ 40 megapixels, stored without EXIF "
    "(GPS included); returns what a record or a product's photo cites",
    TAG,
    status=201,
    errors=(401, 403, 413, 415, 422),
    query=AttachmentQuery,
    consumes=tuple(sorted(svc.ACCEPTED)),
)
def upload_attachment() -> Any:
    user = current_user()
    request.max_content_length = svc.MAX_ATTACHMENT_BYTES
    content = request.get_data(cache=False)
    if not content:
        raise MalformedRequestError("Send the file as the request body.")
    attachment = svc.store_attachment(
        db.session(), _root(), user, load_query(AttachmentQuery())["name"], request.mimetype, content
    )
    return created(
        {"sha256": attachment.sha256, "name": attachment.name, "mime": attachment.mime, "size": attachment.size},
        Location=f"/api/v1/attachments/{attachment.sha256}",
    )


@route("/attachments/<sha256>", "GET", "Download an attachment", TAG, errors=(401, 404))
def download_attachment(sha256: str) -> Any:
    current_user()
    attachment, content = svc.read_attachment(db.session(), _root(), sha256)
    return Response(
        content,
        mimetype=attachment.mime,
        headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"},
    )
