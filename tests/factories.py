"""Factories that build valid objects with one call, through the services."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from trace import ledger as ledger_lib
from trace.models import Batch, BrandGrant, LogEntry, Organization, Product, RegionalBrand, User
from trace.services.catalog.catalog import create_product
from trace.services.organizations.organizations import add_member, create_organization, issue_token
from trace.services.records.batches import register_batch

_serial = itertools.count(1)


@dataclass
class Actor:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def org(self) -> Organization:
        return self.user.organization


def ago(**kw: float) -> str:
    """Return an RFC 3339 time that long ago, with the China offset."""
    return (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(**kw)).isoformat(timespec="seconds")


class Factory:
    """Builds objects and commits them, so a request that fails and rolls back keeps them.

    (Tests run inside an outer transaction; a commit only releases the session's savepoint.)
    """

    def __init__(self, session: Any) -> None:
        self.session = session

    @property
    def ledger(self) -> Any:
        return current_app.extensions["trace.ledger"]

    def _keep(self, obj: Any) -> Any:
        self.session.commit()
        return obj

    def org(self, kind: str = "cooperative", name: str | None = None, township: str = "新兴镇") -> Organization:
        n = next(_serial)
        return self._keep(
            create_organization(
                self.session,
                None,
                {
                    "kind": kind,
                    "name": name or f"测试合作社{n}",
                    "region": {"province": "浙江省", "county": "松阳县", "township": township},
                    "contact": {"name": "王五", "phone": "0578-8000000"},
                },
            )
        )

    def actor(self, role: str = "producer", org: Organization | None = None) -> Actor:
        org = org or self.org(
            "authority" if role == "admin" else "inspection_agency" if role == "inspector" else "cooperative"
        )
        user = add_member(self.session, None, org, f"user{next(_serial)}", role)
        _, secret = issue_token(self.session, None, user, "test")
        return self._keep(Actor(user, secret))

    def product(
        self, actor: Actor, category: str = "vegetables", gtin: str | None = None, name: str = "番茄"
    ) -> Product:
        fields = {"category": category, "name": name, "gtin": gtin}
        return self._keep(create_product(self.session, actor.user, fields, ledger=self.ledger))

    def batch(
        self,
        actor: Actor,
        product: Product | None = None,
        quantity: str = "100",
        uom: str = "KGM",
        lot: str | None = None,
    ) -> Batch:
        product = product or self.product(actor)
        return self._keep(
            register_batch(
                self.session,
                actor.user,
                {
                    "product": product.id,
                    "lot": lot or f"L{next(_serial)}",
                    "quantity": Decimal(quantity),
                    "uom": uom,
                    "origin": {"name": "3号地块", "latitude": Decimal("28.45"), "longitude": Decimal("119.48")},
                },
                ledger=self.ledger,
            )
        )


    def brand(self, name: str = "松阳好产", categories: tuple[str, ...] = ("vegetables", "fruit", "tea"),
              **rules: Any) -> tuple[RegionalBrand, Actor]:
        """Return the regional brand of that name and an actor of its owner (a county brand office), made once."""
        from trace.services.endorsements.brands import register_brand

        brand = self.session.scalar(sa.select(RegionalBrand).where(RegionalBrand.name == name))
        if brand is None:
            owner = self.actor("admin", self.org("authority", name=f"{name}品牌办{next(_serial)}"))
            fields = {"code": f"b{next(_serial)}", "name": name, "name_en": None, "owner": owner.org.id,
                      "categories": list(categories), "region": {"province": "浙江省", "county": "松阳县"}, **rules}
            brand = register_brand(self.session, owner.user, fields, ledger=self.ledger)
        else:
            owner = self.actor("admin", brand.owner)
        return self._keep((brand, owner))

    def grant(self, brand: RegionalBrand, owner: Actor, licensee: Organization, categories: tuple[str, ...] = (),
              days: int = 365, start: dt.date | None = None) -> BrandGrant:
        """Grant an organization the brand on its categories (all of the brand's by default) for ``days``."""
        from trace.services.endorsements.brands import grant_brand

        start = start or dt.date.today() - dt.timedelta(days=1)
        fields = {"organization": licensee.id, "categories": list(categories or brand.categories),
                  "valid_from": start, "valid_until": start + dt.timedelta(days=days)}
        return self._keep(grant_brand(self.session, owner.user, brand.id, fields, ledger=self.ledger))


def event_body(stage: str, batches: list[Batch], data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """Return a valid POST /events body."""
    return {
        "id": str(uuid.uuid4()),
        "stage": stage,
        "batches": [b.trace_code for b in batches],
        "occurredAt": ago(hours=1),
        "data": data or {},
        **extra,
    }


@pytest.fixture()
def make(session: Any) -> Factory:
    return Factory(session)


def registration_leaf_hash(session: Any, batch: Batch) -> str:
    """Return the hex leaf hash of a batch's registration record: where its chain in the log begins."""
    from trace.models import Event, EventBatch, LogEntry

    return session.scalar(
        sa.select(LogEntry.leaf_hash).join(Event, Event.id == LogEntry.event_id)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(Event.stage == "registration", EventBatch.batch_id == batch.id)
    ).hex()


def live_producer(app: Any, org_name: str) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """A cooperative with a producer on an app that commits: a client, the producer's headers, a product."""
    runner = app.test_cli_runner()
    token = runner.invoke(args=["trace", "token", "--role", "admin", "--name", "root"]).output.split()[-1]
    admin = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    org = client.post("/api/v1/organizations", headers=admin, json={
        "kind": "cooperative", "name": org_name, "region": {"province": "浙江省", "county": "松阳县"}}).json
    user = client.post(f"/api/v1/organizations/{org['id']}/members", headers=admin,
                       json={"name": "p", "role": "producer"}).json
    secret = client.post(f"/api/v1/organizations/{org['id']}/members/{user['id']}/tokens", headers=admin,
                         json={"name": "t"}).json["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    product = client.post("/api/v1/products", headers=headers, json={"category": "vegetables", "name": "青菜"}).json
    return client, headers, product


def transformation(stage, inputs, outputs, **extra):
    """Return a POST /transformations body; inputs are (batch, quantity), outputs (product, lot, quantity)."""
    return {"id": str(uuid.uuid4()), "stage": stage, "occurredAt": ago(hours=1),
            "inputs": [{"batch": b.trace_code, "quantity": q, "uom": b.uom} for b, q in inputs],
            "outputs": [{"product": p.id, "lot": lot, "quantity": q, "uom": "KGM"} for p, lot, q in outputs],
            **extra}


def entry_of(session, event):
    return session.scalar(sa.select(LogEntry).where(LogEntry.event_id == event.id))


def forge_signature(session, event):
    """Replace the organization's signature in an event's leaf by 64 other bytes (the leaf stays canonical)."""
    entry = entry_of(session, event)
    record, signatures = ledger_lib.parse_leaf(entry.leaf)
    forged = [{"keyId": signatures[0]["keyId"], "sig": base64.b64encode(bytes(range(64))).decode()}]
    session.execute(sa.text('UPDATE log_entries SET leaf = :leaf WHERE "index" = :i'),
                    {"leaf": ledger_lib.leaf_bytes(record, forged), "i": entry.index})
    session.commit()
