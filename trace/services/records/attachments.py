"""Attachments, content-addressed by SHA-256 under the instance folder.

The record that cites an attachment carries its hash, so a swapped file is detected by audit.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from trace.errors import NotFoundError, UnsupportedMediaTypeError, ValidationError
from trace.models import Attachment, User
from trace.models.organization import Role
from trace.services.organizations.permissions import require_role
from trace.services.records.photos import derivative_path, derivative_widths, make_derivatives, sniff

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ACCEPTED = ("application/pdf", "image/jpeg", "image/png", "image/webp")
# What a client may declare: an accepted type (which must match the content) or nothing in particular.
UNSPECIFIED = ("", "application/octet-stream")


def attachment_path(root: Path, sha256: str) -> Path:
    """Return where the content with this hash lives."""
    return root / "attachments" / sha256[:2] / sha256


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def store_attachment(session: Session, root: Path, actor: User, name: str, declared: str,
                     content: bytes) -> Attachment:
    """Store an uploaded file once per content; return its record.

    The type comes from the content, never from the name; a declared type must agree with it.
    Images are stored without their metadata (EXIF, GPS included) and get WebP derivatives for pages.
    """
    require_role(actor, Role.PRODUCER, Role.INSPECTOR)
    if declared not in ACCEPTED and declared not in UNSPECIFIED:
        raise UnsupportedMediaTypeError(f"Attachments may be {', '.join(ACCEPTED)}; got {declared}.")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError("The file is too large.", errors={"file": [f"At most {MAX_ATTACHMENT_BYTES} bytes."]})
    found = sniff(content)
    if declared in ACCEPTED and declared != found.mime:
        raise ValidationError(f"The file's content is not {declared} but {found.mime}.",
                              errors={"file": ["Content does not match type."]})
    digest = hashlib.sha256(found.content).hexdigest()
    existing = session.get(Attachment, digest)
    if existing is not None:
        return existing
    path = attachment_path(root, digest)
    _write(path, found.content)
    if found.width:
        make_derivatives(path)
    attachment = Attachment(sha256=digest, organization_id=actor.organization_id, name=name[:200] or digest,
                            mime=found.mime, size=len(found.content), width=found.width, height=found.height)
    session.add(attachment)
    session.flush()
    return attachment


def require_image(session: Session, sha256: str, field: str = "photo") -> Attachment:
    """Return an uploaded image attachment, or raise a ValidationError naming ``field``."""
    attachment = session.get(Attachment, sha256)
    if attachment is None or not attachment.width:
        raise ValidationError("The photo is not an uploaded image.",
                              errors={field: ["Upload a JPEG, PNG or WebP with POST /api/v1/attachments first."]})
    return attachment


def photo_file(session: Session, root: Path, sha256: str, width: int) -> Path:
    """Return the WebP derivative of an image attachment at one of its widths (made now if missing)."""
    attachment = session.get(Attachment, sha256)
    if attachment is None or width not in derivative_widths(attachment.width):
        raise NotFoundError(f"No photo {sha256} at width {width}.")
    path = derivative_path(attachment_path(root, sha256), width)
    if not path.exists():  # an image stored before derivatives were made, or a derivative removed
        make_derivatives(attachment_path(root, sha256))
    return path


def check_cited(session: Session, cited: list[dict[str, object]]) -> None:
    """Raise unless every attachment a record cites was uploaded with that hash, type and size."""
    for i, item in enumerate(cited):
        stored = session.get(Attachment, item["sha256"])
        if stored is None or stored.size != item["size"] or stored.mime != item["mime"]:
            raise ValidationError("An attachment is unknown or differs from the upload.",
                                  errors={"attachments": {i: ["Upload it first with POST /api/v1/attachments."]}})


def read_attachment(session: Session, root: Path, sha256: str) -> tuple[Attachment, bytes]:
    """Return an attachment and its content."""
    attachment = session.get(Attachment, sha256)
    if attachment is None:
        raise NotFoundError(f"No attachment {sha256}.")
    return attachment, attachment_path(root, sha256).read_bytes()
