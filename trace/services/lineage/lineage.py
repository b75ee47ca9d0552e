"""Lineage: where a batch came from and where it went, through processing, splits and merges.

Walks are recursive CTEs over ``batch_links`` (SQLite and PostgreSQL alike), one query per
direction whatever the depth; ``UNION`` (not ``UNION ALL``) keeps each batch once, so diamonds
(merge then split then merge) cost the number of batches, not the number of paths.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.models import Batch, BatchLink, Event, EventBatch, Organization, Product, User
from trace.services.organizations.permissions import can_read_batch
from trace.stages import names

Direction = Literal["backward", "forward", "both"]
DIRECTIONS: tuple[Direction, ...] = ("backward", "forward", "both")


@dataclass
class Lineage:
    """A batch's lineage graph: batches by id, links, and each batch's distance from the root."""

    root: Batch
    direction: Direction
    batches: dict[int, Batch] = field(default_factory=dict)
    links: list[BatchLink] = field(default_factory=list)
    upstream: dict[int, int] = field(default_factory=dict)
    downstream: dict[int, int] = field(default_factory=dict)
    # Per root or downstream batch: the organizations that were shipped it, received it or hold it.
    holders: dict[int, dict[int, set[str]]] = field(default_factory=dict)
    organizations: dict[int, Organization] = field(default_factory=dict)
    hidden: int = 0


def _walk_links(session: Session, root_id: int, *, forward: bool) -> list[BatchLink]:
    """Return every link reachable from a batch in one direction, in one recursive query."""
    near, far = (BatchLink.input_batch_id, BatchLink.output_batch_id) if forward else (
        BatchLink.output_batch_id, BatchLink.input_batch_id)
    walk = sa.select(sa.literal(root_id).label("batch_id")).cte("walk", recursive=True)
    walk = walk.union(sa.select(far).join(walk, near == walk.c.batch_id))
    query = sa.select(BatchLink).join(walk, near == walk.c.batch_id).order_by(BatchLink.id)
    return list(session.scalars(query))


def downstream_ids(session: Session, root_id: int) -> set[int]:
    """Return the ids of a batch and every batch made from it, at any depth."""
    walk = sa.select(sa.literal(root_id).label("batch_id")).cte("down", recursive=True)
    walk = walk.union(sa.select(BatchLink.output_batch_id).join(walk, BatchLink.input_batch_id == walk.c.batch_id))
    return set(session.scalars(sa.select(walk.c.batch_id)))


def downstream_depths(session: Session, root_id: int) -> dict[int, int]:
    """Return the batch and every batch made from it, each with its fewest transformation steps from it."""
    return {root_id: 0, **_distances(root_id, _walk_links(session, root_id, forward=True), forward=True)}


def upstream_depths(session: Session, root_id: int) -> dict[int, int]:
    """Return the batch and every batch it was made from, each with its fewest transformation steps from it."""
    return {root_id: 0, **_distances(root_id, _walk_links(session, root_id, forward=False), forward=False)}


def upstream_ids(session: Session, root_ids: Iterable[int]) -> set[int]:
    """Return the ids of some batches and every batch that went into them, at any depth."""
    roots = list(root_ids)
    if not roots:
        return set()
    walk = sa.select(Batch.id.label("batch_id")).where(Batch.id.in_(roots)).cte("up", recursive=True)
    walk = walk.union(sa.select(BatchLink.input_batch_id).join(walk, BatchLink.output_batch_id == walk.c.batch_id))
    return set(session.scalars(sa.select(walk.c.batch_id)))


def _distances(root_id: int, links: list[BatchLink], *, forward: bool) -> dict[int, int]:
    """Return each batch's fewest transformation steps from the root (breadth-first, in memory)."""
    nxt: dict[int, list[int]] = {}
    for link in links:
        a, b = (link.input_batch_id, link.output_batch_id) if forward else (link.output_batch_id, link.input_batch_id)
        nxt.setdefault(a, []).append(b)
    seen, queue = {root_id: 0}, deque([root_id])
    while queue:
        here = queue.popleft()
        for there in nxt.get(here, ()):
            if there not in seen:
                seen[there] = seen[here] + 1
                queue.append(there)
    del seen[root_id]
    return seen


def holders_of(session: Session, batch_ids: Iterable[int]) -> dict[int, dict[int, set[str]]]:
    """Return, per batch, the organizations that were shipped it, received it or hold it, with roles."""
    shipping, receiving = names(lambda s: s.ships), names(lambda s: s.receives)
    ids = list(batch_ids)
    found: dict[int, dict[int, set[str]]] = {b: {} for b in ids}
    if not ids:
        return found
    # A batch used up by transformations (or destroyed) is held by no one.
    for batch_id, custodian in session.execute(
            sa.select(Batch.id, Batch.custodian_id).where(Batch.id.in_(ids), Batch.available > 0)):
        found[batch_id].setdefault(custodian, set()).add("custodian")
    rows: Any = session.execute(
        sa.select(EventBatch.batch_id, Event.stage, Event.organization_id, Event.data["recipient"].as_integer())
        .join(Event, Event.id == EventBatch.event_id)
        .where(EventBatch.batch_id.in_(ids), EventBatch.role == "subject", Event.stage.in_(shipping | receiving))
    )
    for batch_id, stage, org_id, recipient in rows:
        if stage in shipping and recipient is not None:
            found[batch_id].setdefault(recipient, set()).add("recipient")
        elif stage in receiving:
            found[batch_id].setdefault(org_id, set()).add("receiver")
    return found


def build_lineage(session: Session, root: Batch, direction: Direction) -> Lineage:
    """Return the lineage of a batch: its sources, what was made from it, and who received that."""
    lineage = Lineage(root=root, direction=direction)
    links: dict[int, BatchLink] = {}
    if direction in ("backward", "both"):
        up = _walk_links(session, root.id, forward=False)
        lineage.upstream = _distances(root.id, up, forward=False)
        links.update((link.id, link) for link in up)
    if direction in ("forward", "both"):
        down = _walk_links(session, root.id, forward=True)
        lineage.downstream = _distances(root.id, down, forward=True)
        links.update((link.id, link) for link in down)
    lineage.links = sorted(links.values(), key=lambda link: link.id)
    ids = {root.id, *lineage.upstream, *lineage.downstream}
    query = (sa.select(Batch).where(Batch.id.in_(ids))
             .options(joinedload(Batch.product).joinedload(Product.category)))
    lineage.batches = {b.id: b for b in session.scalars(query)}
    org_ids = {b.organization_id for b in lineage.batches.values()} | {b.custodian_id for b in lineage.batches.values()}
    if direction in ("forward", "both"):
        lineage.holders = holders_of(session, [root.id, *lineage.downstream])
        org_ids |= {org_id for held in lineage.holders.values() for org_id in held}
    orgs = session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids)))
    lineage.organizations = {o.id: o for o in orgs}
    return lineage


def restrict_to_readable(lineage: Lineage, actor: User) -> Lineage:
    """Drop the batches (and their links) the actor may not read; count what was dropped."""
    readable = {i for i, b in lineage.batches.items() if can_read_batch(actor, b)}
    lineage.hidden = len(lineage.batches) - len(readable)
    if not lineage.hidden:
        return lineage
    lineage.batches = {i: b for i, b in lineage.batches.items() if i in readable}
    lineage.links = [link for link in lineage.links
                     if link.input_batch_id in readable and link.output_batch_id in readable]
    lineage.upstream = {i: d for i, d in lineage.upstream.items() if i in readable}
    lineage.downstream = {i: d for i, d in lineage.downstream.items() if i in readable}
    lineage.holders = {i: held for i, held in lineage.holders.items() if i in readable}
    keep = {b.organization_id for b in lineage.batches.values()} | {b.custodian_id for b in lineage.batches.values()}
    keep |= {org_id for held in lineage.holders.values() for org_id in held}
    lineage.organizations = {i: o for i, o in lineage.organizations.items() if i in keep}
    return lineage


def _quantity(value: Any) -> str:
    return format(value.normalize(), "f")


def lineage_view(lineage: Lineage) -> dict[str, Any]:
    """Return the lineage as the API shows it."""
    root = lineage.root
    codes = {i: b.trace_code for i, b in lineage.batches.items()}

    def relation(batch_id: int) -> tuple[str, int]:
        if batch_id == root.id:
            return "root", 0
        if batch_id in lineage.upstream:
            return "upstream", lineage.upstream[batch_id]
        return "downstream", lineage.downstream[batch_id]

    batches = []
    for batch in sorted(lineage.batches.values(), key=lambda b: (relation(b.id)[0] != "root", relation(b.id), b.id)):
        rel, depth = relation(batch.id)
        batches.append({
            "code": batch.trace_code, "relation": rel, "depth": depth,
            "product": batch.product_id, "productName": batch.product.name, "gtin": batch.product.gtin,
            "category": batch.product.category.code, "lot": batch.lot,
            "quantity": _quantity(batch.quantity), "available": _quantity(batch.available), "uom": batch.uom,
            "organization": batch.organization_id, "custodian": batch.custodian_id,
            "status": batch.status, "disposition": batch.disposition, "origin": batch.origin,
        })
    roles: dict[int, set[str]] = {}
    for batch in lineage.batches.values():
        roles.setdefault(batch.organization_id, set()).add("producer")
    for held in lineage.holders.values():
        for org_id, kinds in held.items():
            roles.setdefault(org_id, set()).update(kinds)
    organizations = [
        {"id": org.id, "name": org.name, "nameEn": org.name_en, "kind": org.kind,
         "county": org.county, "township": org.township,
         "contactName": org.contact_name, "contactPhone": org.contact_phone,
         "roles": sorted(roles.get(org.id, ()))}
        for org in sorted(lineage.organizations.values(), key=lambda o: o.id) if org.id in roles
    ]
    plots: dict[Any, dict[str, Any]] = {}
    for batch in lineage.batches.values():
        if batch.origin and (batch.id == root.id or batch.id in lineage.upstream):
            plot = plots.setdefault(batch.origin.get("name"), {**batch.origin, "batches": []})
            plot["batches"].append(batch.trace_code)
    body: dict[str, Any] = {
        "root": root.trace_code,
        "direction": lineage.direction,
        "batches": batches,
        "links": [{"from": codes[link.input_batch_id], "to": codes[link.output_batch_id], "event": link.event_id,
                   "quantity": _quantity(link.quantity), "uom": link.uom} for link in lineage.links],
        "organizations": organizations,
    }
    if lineage.direction != "forward":
        body["plots"] = list(plots.values())
    if lineage.hidden:
        body["hidden"] = lineage.hidden
    return body
