"""Lineage: recursive walks through merges, splits and diamonds, with quantities, in constant queries."""

from __future__ import annotations

import sqlalchemy as sa

from tests.services.genealogy import day, diamond
from trace.services.lineage.lineage import build_lineage, downstream_ids, lineage_view, upstream_ids


def codes(view, relation=None):
    return {b["code"] for b in view["batches"] if relation is None or b["relation"] == relation}


def names(nodes, *keys):
    return {nodes[k].trace_code for k in keys}


def test_backward_reaches_every_source_through_merges_and_splits(gen, session):
    n = diamond(gen)
    view = lineage_view(build_lineage(session, n["F"], "backward"))
    assert view["root"] == n["F"].trace_code and view["direction"] == "backward"
    assert codes(view, "upstream") == names(n, "M2", "P", "S1", "S2", "M", "A", "B", "C")
    depth = {b["code"]: b["depth"] for b in view["batches"]}
    assert depth[n["M2"].trace_code] == depth[n["P"].trace_code] == 1
    assert depth[n["M"].trace_code] == 3 and depth[n["A"].trace_code] == 4 and depth[n["C"].trace_code] == 2
    # Each link once, with the part of its input the transformation put into that output.
    links = {(link["from"], link["to"]): (link["quantity"], link["uom"]) for link in view["links"]}
    assert len(links) == len(view["links"]) == 9
    code = {k: v.trace_code for k, v in n.items()}
    assert links[(code["A"], code["M"])] == ("60", "KGM")
    assert (links[(code["M"], code["S1"])], links[(code["M"], code["S2"])]) == (("70", "KGM"), ("30", "KGM"))
    assert links[(code["M2"], code["F"])] == ("50", "KGM")
    assert {p["name"] for p in view["plots"]} == {"3号地块"}
    assert all(b["relation"] != "downstream" for b in view["batches"])


def test_forward_reaches_everything_made_from_a_source_and_nothing_else(gen, session):
    n = diamond(gen)
    view = lineage_view(build_lineage(session, n["A"], "forward"))
    assert codes(view, "downstream") == names(n, "M", "S1", "S2", "M2", "P", "F")
    assert "plots" not in view
    view_c = lineage_view(build_lineage(session, n["C"], "forward"))
    assert codes(view_c, "downstream") == names(n, "M2", "F")
    both = lineage_view(build_lineage(session, n["S2"], "both"))
    assert codes(both, "upstream") == names(n, "M", "A", "B")
    assert codes(both, "downstream") == names(n, "P", "F")
    assert n["C"].trace_code not in codes(both)  # a co-input of a descendant is neither up- nor downstream


def test_partial_quantities_fan_out_to_every_output(gen, session):
    source = gen.raw("100")
    (first,) = gen.transform([(source, "60")], ["55"])
    (second,) = gen.transform([(source, "40")], ["38"])
    session.expire_all()
    assert source.available == 0
    view = lineage_view(build_lineage(session, source, "forward"))
    assert {(link["to"], link["quantity"]) for link in view["links"]} == {
        (first.trace_code, "60"), (second.trace_code, "40")}
    assert {b["code"]: b["quantity"] for b in view["batches"]}[first.trace_code] == "55"


def test_deep_chain_is_walked_in_a_constant_number_of_queries(gen, session):
    def count_queries(batch, direction):
        statements = []
        assert batch.id  # (load the expired root first: the API has it in hand)
        engine = session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            lineage_view(build_lineage(session, batch, direction))
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    chain = [gen.raw("100")]
    for _ in range(40):
        chain += gen.transform([(chain[-1], str(chain[-1].quantity.normalize()))], ["100"])
    session.expire_all()
    short = count_queries(chain[3], "both")
    session.expire_all()
    long = count_queries(chain[40], "both")
    assert short == long == 6  # two walks, batches, custodians, shipping/receiving, organizations
    view = lineage_view(build_lineage(session, chain[40], "backward"))
    assert len(view["batches"]) == 41
    assert max(b["depth"] for b in view["batches"]) == 40
    assert downstream_ids(session, chain[0].id) == {b.id for b in chain}
    assert upstream_ids(session, [chain[20].id]) == {b.id for b in chain[:21]}


def test_forward_names_every_organization_that_received_stock(gen, make, session):
    retailer, wholesaler = make.actor("producer", make.org("retailer")), make.actor("producer", make.org("enterprise"))
    source = gen.raw("100")
    (packed,) = gen.transform([(source, "100")], ["90"])
    gen.ship(packed, wholesaler, quantity="90")
    gen.ship(packed, retailer, quantity="40", actor=wholesaler, at=day(130))
    view = lineage_view(build_lineage(session, source, "forward"))
    roles = {o["id"]: set(o["roles"]) for o in view["organizations"]}
    assert roles[gen.producer.org.id] == {"producer"}
    assert roles[wholesaler.org.id] == {"recipient", "receiver"}
    assert roles[retailer.org.id] == {"recipient", "receiver", "custodian"}
    contact = next(o for o in view["organizations"] if o["id"] == retailer.org.id)
    assert (contact["contactName"], contact["contactPhone"]) == ("王五", "0578-8000000")
    backward = lineage_view(build_lineage(session, packed, "backward"))
    assert {o["id"] for o in backward["organizations"]} == {gen.producer.org.id}

