"""Photos on the public pages: small WebP derivatives, same origin, cached for a year (their URL names their content).

A derivative is served to whoever names its image's SHA-256; only records (public by design)
and the uploader reveal one. Originals stay behind the API's token.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, request

from trace.db import db
from trace.extensions import limiter
from trace.lookup.blueprint import lookup
from trace.lookup.pages import photo_limit
from trace.services.records.attachments import photo_file

YEAR = 365 * 24 * 3600


@lookup.get("/photos/<sha256>/<int:width>.webp")
@limiter.limit(photo_limit)
def photo(sha256: str, width: int) -> Response:
    path = photo_file(db.session(), Path(current_app.instance_path), sha256.lower(), width)
    response = Response(path.read_bytes(), mimetype="image/webp")  # a few kilobytes: read whole
    response.set_etag(f"{sha256.lower()}-{width}")
    response.make_conditional(request)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
