"""Seed a live test server's database: run as ``python -m tests.scanner_client.world`` with its TRACE_* environment.

Prints one JSON object: the producer's token, organization ids, batch codes, a unit serial and GS1 keys.
"""

from __future__ import annotations

import json
import sys

from trace import create_app
from trace.db import db, writing


def main() -> None:
    from flask_migrate import upgrade

    from tests.factories import Factory
    from trace.services.catalog.catalog import seed_categories
    from trace.services.devices.locations import add_location
    from trace.services.printing.labels import issue_labels

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        seed_categories(db.session())
        db.session.commit()
    with app.app_context(), writing():
        make = Factory(db.session)
        producer = make.actor("producer")
        market = make.actor("producer", make.org("retailer", "城东农贸市场"))
        lab = make.org("inspection_agency", "县农产品检测站")
        product = make.product(producer, gtin="06901234567892")
        batches = [make.batch(producer, product, quantity="100") for _ in range(count)]
        labelled = make.batch(producer, product, quantity="50", uom="H87")
        _, units = issue_labels(db.session(), producer.user, labelled, 3)
        db.session.commit()
        store = add_location(db.session(), producer.user, producer.org.id, {"kind": "cold_store", "name": "1号冷库",
                                                                            "gln": "6901234000017"})
        db.session.commit()
        serials = [u.serial for u in units]
        print(json.dumps({
            "token": producer.token, "org": producer.org.id, "market": market.org.id, "lab": lab.id,
            "market_token": market.token, "batches": [b.trace_code for b in batches],
            "labelled": labelled.trace_code, "serials": serials, "gtin": product.gtin,
            "lots": [b.lot for b in batches], "location": store.id,
        }))


if __name__ == "__main__":
    main()
