"""The page's cold chain from signed sensor readings (chart, sentence, excursions) and its shelf life."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from decimal import Decimal

from tests.lookup.helpers import text_of
from tests.services.genealogy import Genealogy
from tests.services.sensors.helpers import Sensor, minutes, place
from trace.services.records.batches import register_batch
from trace.services.sensors.ingest import ingest_messages, window_of
from trace.services.sensors.windows import seal_windows

_lots = itertools.count(1)
START = window_of(dt.datetime.now(dt.UTC) - dt.timedelta(days=3))


def stored_batch(make, session, ledger, category="vegetables", store_name="1号冷库"):
    life = Genealogy(make, session, ledger, category)
    batch = register_batch(session, life.producer.user, {
        "product": life.product.id, "lot": f"CC{next(_lots)}", "quantity": Decimal(10), "uom": "KGM",
        "produced_at": START - dt.timedelta(days=1)}, ledger=ledger)
    store = place(session, life.producer, name=store_name)
    sensor = Sensor(session, ledger, life.producer, store)
    life.event("storage", [batch], {"warehouse": store_name}, at=START - dt.timedelta(hours=1))
    return life, batch, sensor


def publish(session, ledger, sensor, values):
    outcomes = ingest_messages(session, [(sensor.topic, sensor.payload(minutes(START, values)))])
    assert [o.status for o in outcomes] == ["stored"]
    seal_windows(session, ledger, everything=True)
    session.commit()


def page(client, code, lang="zh"):
    response = client.get(f"/t/{code}" + ("?lang=en" if lang == "en" else ""))
    assert response.status_code == 200
    if lang == "en":
        client.get(f"/t/{code}?lang=zh")
    return response.get_data(as_text=True)


def test_a_cold_chain_kept_in_range_reads_as_one_sentence_with_a_chart(client, make, session, ledger):
    _, batch, sensor = stored_batch(make, session, ledger)
    publish(session, ledger, sensor, [2.4, 3, 4.5, 5.8, 4])
    html = page(client, batch.trace_code)
    assert "全程冷链 2.4–5.8 °C，无超温" in text_of(html)
    assert "要求 0–8 °C" in text_of(html)
    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    tree = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert tree.find(f"{ns}rect") is not None  # the allowed band
    (line,) = tree.findall(f"{ns}polyline")
    assert len(line.get("points").split()) == 5
    assert "最佳食用期" in text_of(html) and (START - dt.timedelta(days=1) + dt.timedelta(days=6)).astimezone(
        dt.timezone(dt.timedelta(hours=8))).date().isoformat() in html
    english = text_of(page(client, batch.trace_code, "en"))
    assert "Cold chain throughout: 2.4–5.8 °C, no excursion" in english and "Best before" in english


def test_an_excursion_is_named_with_its_place_duration_and_peak(client, make, session, ledger):
    _, batch, sensor = stored_batch(make, session, ledger, store_name="2号冷库")
    publish(session, ledger, sensor, [4] * 5 + [9, 12, 11] + [9] * 35 + [4] * 5)
    html = page(client, batch.trace_code)
    text = text_of(html)
    assert "超温 1 次" in text and "2号冷库" in text and "38 分钟" in text and "峰值 12 °C" in text
    assert 'stroke="#c62828"' in html  # the excursion drawn in red


def test_oil_makes_no_cold_chain_claim_but_shows_its_shelf_life(client, make, session, ledger):
    _, batch, sensor = stored_batch(make, session, ledger, category="grain_oil", store_name="油库")
    publish(session, ledger, sensor, [20, 21, 22])
    text = text_of(page(client, batch.trace_code))
    assert "全程冷链" not in text and "<svg" not in text
    assert "保质期" in text and "365 天" in text and "阴凉干燥处" in text
