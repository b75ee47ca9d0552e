"""Back-filled records for batch and product rows older than the records that now register them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.models import Batch, Event, EventBatch, Product
from trace.models.statistics import StatisticsCounter
from trace.services.records import pipeline
from trace.services.records.registration import product_request, registration_request
from trace.services.signing.keys import LedgerConfig
from trace.services.statistics.rebuild import rebuild


def backfill(session: Session, cfg: LedgerConfig) -> tuple[int, int]:
    """Append back-filled registration and product records for rows older than them; return how many of each.

    Signed by the log key and marked ``backfilled``: the organization never signed these facts.
    """
    registered = sa.select(EventBatch.batch_id).join(Event, Event.id == EventBatch.event_id).where(
        Event.stage == "registration")
    batches = list(session.scalars(sa.select(Batch).where(Batch.id.not_in(registered)).order_by(Batch.id)))
    recorded = {int(e.data["product"]) for e in session.scalars(sa.select(Event).where(Event.stage == "product"))}
    products = [p for p in session.scalars(sa.select(Product).order_by(Product.id)) if p.id not in recorded]
    requests = [product_request(p, "log:backfill", backfilled=True) for p in products]
    for product, request in zip(products, requests, strict=True):
        product.record_id = request.payload["id"]
    requests += [registration_request(b, "log:backfill", b.created_at, backfilled=True) for b in batches]
    if requests:
        pipeline.record(session, None, requests, ledger=cfg)
        # The pipeline leaves back-filled records out of the statistics (migration r1signed makes them before
        # the counters exist, and s2stats counts them); once the counters exist, recount from the records.
        if sa.inspect(session.get_bind()).has_table(StatisticsCounter.__tablename__):
            rebuild(session)
    return len(batches), len(products)
