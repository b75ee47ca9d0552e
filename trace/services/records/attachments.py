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

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Accepted types and the bytes their files start with.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def attachment_path(root: Path, sha256: str) -> Path:
    """Return where the content with this hash lives."""
    return root / "attachments" / sha256[:2] / sha256


def store_attachment(session: Session, root: Path, actor: User, name: str, mime: str, content: bytes) -> Attachment:
    """Store an uploaded file once per content; return its record."""
    require_role(actor, Role.PRODUCER, Role.INSPECTOR)
    if mime not in SIGNATURES:
        raise UnsupportedMediaTypeError(f"Attachments may be {', '.join(sorted(SIGNATURES))}; got {mime}.")
    if not content.startswith(SIGNATURES[mime]) or (mime == "image/webp" and content[8:12] != b"WEBP"):
        raise ValidationError(f"The file's content is not {mime}.", errors={"file": ["Content does not match type."]})
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError("The file is too large.", errors={"file": [f"At most {MAX_ATTACHMENT_BYTES} bytes."]})
    digest = hashlib.sha256(content).hexdigest()
    existing = session.get(Attachment, digest)
    if existing is not None:
        return existing
    path = attachment_path(root, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    attachment = Attachment(sha256=digest, organization_id=actor.organization_id, name=name[:200] or digest,
                            mime=mime, size=len(content))
    session.add(attachment)
    session.flush()
    return attachment


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
