"""Consumer feedback sent from the public lookup pages."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from trace.api.base import current_user, load_query, route
from trace.db import db
from trace.schemas.common import page_out
from trace.schemas.feedback import FeedbackOut, FeedbackQuery
from trace.services.public import feedback as svc

TAG = "Feedback"


@route("/feedback", "GET", "Consumer complaints and ratings, newest first (producers: their organization's; "
       "inspectors and admins: all; filter by batch, kind, from/to)", TAG, response=FeedbackOut, many=True,
       query=FeedbackQuery, errors=(401, 403, 422))
def list_feedback() -> Any:
    user = current_user()
    query = load_query(FeedbackQuery())
    rows, total = svc.list_feedback(db.session(), user, query)
    return jsonify(page_out(FeedbackOut(many=True).dump(rows), query["page"], query["per_page"], total))
