"""Unit serials on the lookup page: every lookup counts once, HEAD and in-site navigation do not, copies warn."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.lookup.helpers import HTML, JSON, text_of
from trace.config import Config, ConfigError
from trace.models import LookupCount
from trace.services.printing.labels import issue_labels, unit_scans
from trace.services.public.counters import PAGE


def units(life, session, count=2):
    _, issued = issue_labels(session, life.producer.user, life.batch, count)
    session.commit()
    return [u.serial for u in issued]


def stored(app, session, serial):
    """Flush the lookup counters (as the flusher would) and return a unit's (count, first, last) as stored."""
    app.extensions["trace.lookup_counter"].flush(session)
    return unit_scans(session, [serial]).get(serial, (0, None, None))


def test_each_lookup_counts_and_the_first_time_is_kept(client, life, session, app):
    serial, other = units(life, session)
    before = dt.datetime.now(dt.UTC)
    r = client.get(f"/T/{serial}", headers=HTML)
    assert r.status_code == 200
    text = text_of(r.get_data(as_text=True))
    assert "查询次数 1" in text and "首次查询时间" in text and serial in text and life.batch.trace_code in text
    assert r.headers["Cache-Control"] == "no-store"
    count, first_at, last_at = stored(app, session, serial)
    assert count == 1 and first_at >= before.replace(microsecond=0) and last_at == first_at
    body = client.get(f"/t/{serial.lower()}", headers=JSON).json  # JSON lookups count too
    assert body["kind"] == "unit" and body["code"] == serial and body["batch"]["code"] == life.batch.trace_code
    assert body["unit"]["scanCount"] == 2 and body["unit"]["warning"] is False
    assert body["unit"]["firstScannedAt"] is not None
    count, again_first, again_last = stored(app, session, serial)
    assert count == 2 and again_first == first_at and again_last >= last_at
    assert stored(app, session, other) == (0, None, None)
    assert client.get(f"/T/{serial}", headers=JSON).json["unit"]["scanCount"] == 3  # flushed plus pending


def test_head_requests_and_the_language_switch_do_not_count(client, life, session, app):
    (serial,) = units(life, session, 1)
    assert client.head(f"/T/{serial}").status_code == 200
    assert stored(app, session, serial)[0] == 0
    client.get(f"/T/{serial}", headers=HTML)
    r = client.get(f"/T/{serial}?lang=en", headers={**HTML, "Referer": f"http://localhost/T/{serial}"})
    assert r.status_code == 200 and "Times looked up 1" in text_of(r.get_data(as_text=True))
    client.get(f"/T/{serial}", headers={**HTML, "Referer": "https://search.example.com/?q=tomato"})
    assert stored(app, session, serial)[0] == 2


def test_a_warning_shows_past_the_threshold(client, life, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACE", app.config["TRACE"].with_(counterfeit_threshold=2))
    (serial,) = units(life, session, 1)
    for n in (1, 2):
        html = client.get(f"/T/{serial}", headers=HTML).get_data(as_text=True)
        assert "可能是假冒产品" not in html, n
    html = client.get(f"/T/{serial}", headers=HTML).get_data(as_text=True)
    assert 'class="alert warn" role="alert"' in html
    assert "注意：此码已被查询 3 次" in text_of(html) and "可能是假冒产品" in html
    body = client.get(f"/T/{serial}?lang=en", headers=JSON).json
    assert body["unit"]["warning"] is True and body["unit"]["threshold"] == 2 and body["unit"]["scanCount"] == 4
    html = client.get(f"/T/{serial}?lang=en", headers=HTML).get_data(as_text=True)
    assert "Caution: this code has been looked up 5 times" in text_of(html)


def test_a_batch_page_counts_as_a_page_lookup_not_as_a_unit_scan(client, life, session, app):
    (serial,) = units(life, session, 1)
    code = life.batch.trace_code
    client.get(f"/T/{code}", headers=HTML)
    client.get(f"/t/{code}", headers=JSON)
    client.head(f"/T/{code}")  # HEAD does not count
    assert stored(app, session, serial) == (0, None, None)
    rows = session.execute(sa.select(LookupCount.code, LookupCount.kind, LookupCount.count, LookupCount.batch_id)).all()
    assert rows == [(code, PAGE, 2, life.batch.id)]


def test_the_threshold_and_feedback_limit_come_from_the_environment():
    config = Config.from_env({"TRACE_COUNTERFEIT_THRESHOLD": "3", "TRACE_FEEDBACK_RATE_LIMIT": "2/minute"})
    assert (config.counterfeit_threshold, config.feedback_rate_limit) == (3, "2/minute")
    assert Config.from_env({}).counterfeit_threshold == 5
    with pytest.raises(ConfigError, match="TRACE_COUNTERFEIT_THRESHOLD"):
        Config.from_env({"TRACE_COUNTERFEIT_THRESHOLD": "many"})


def test_a_unit_page_shows_one_unit_not_the_whole_batch_quantity(client, life, session):
    (serial,) = units(life, session, 1)
    unit = text_of(client.get(f"/T/{serial}", headers=HTML).get_data(as_text=True))
    assert "数量 1 件（整批 2500 千克）" in unit
    en = text_of(client.get(f"/T/{serial}?lang=en", headers=HTML).get_data(as_text=True))
    assert "Quantity One unit; the whole batch: 2500 kilograms" in en
    batch = text_of(client.get(f"/T/{life.batch.trace_code}?lang=zh", headers=HTML).get_data(as_text=True))
    assert "数量 2500 千克" in batch and "整批" not in batch
