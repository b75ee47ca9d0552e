"""Unit serials on the lookup page: every lookup counts once, HEAD and in-site navigation do not, copies warn."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.lookup.helpers import HTML, JSON, text_of
from trace.config import Config, ConfigError
from trace.models import UnitCode
from trace.services.printing.labels import issue_labels


def units(life, session, count=2):
    _, issued = issue_labels(session, life.producer.user, life.batch, count)
    session.commit()
    return [u.serial for u in issued]


def stored(session, serial):
    session.expire_all()
    return session.scalar(sa.select(UnitCode).where(UnitCode.serial == serial))


def test_each_lookup_counts_and_the_first_time_is_kept(client, life, session):
    serial, other = units(life, session)
    before = dt.datetime.now(dt.UTC)
    r = client.get(f"/T/{serial}", headers=HTML)
    assert r.status_code == 200
    text = text_of(r.get_data(as_text=True))
    assert "查询次数 1" in text and "首次查询时间" in text and serial in text and life.batch.trace_code in text
    assert r.headers["Cache-Control"] == "no-store"
    first = stored(session, serial)
    assert first.scan_count == 1 and first.first_scanned_at >= before.replace(microsecond=0)
    assert first.last_scanned_at == first.first_scanned_at
    body = client.get(f"/t/{serial.lower()}", headers=JSON).json  # JSON lookups count too
    assert body["kind"] == "unit" and body["code"] == serial and body["batch"]["code"] == life.batch.trace_code
    assert body["unit"]["scanCount"] == 2 and body["unit"]["warning"] is False
    again = stored(session, serial)
    assert again.scan_count == 2 and again.first_scanned_at == first.first_scanned_at
    assert again.last_scanned_at >= first.last_scanned_at
    assert stored(session, other).scan_count == 0 and stored(session, other).first_scanned_at is None


def test_head_requests_and_the_language_switch_do_not_count(client, life, session):
    (serial,) = units(life, session, 1)
    assert client.head(f"/T/{serial}").status_code == 200
    assert stored(session, serial).scan_count == 0
    client.get(f"/T/{serial}", headers=HTML)
    r = client.get(f"/T/{serial}?lang=en", headers={**HTML, "Referer": f"http://localhost/T/{serial}"})
    assert r.status_code == 200 and "Times looked up 1" in text_of(r.get_data(as_text=True))
    client.get(f"/T/{serial}", headers={**HTML, "Referer": "https://search.example.com/?q=tomato"})
    assert stored(session, serial).scan_count == 2


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


def test_the_batch_code_itself_is_not_counted(client, life, session):
    units(life, session, 1)
    client.get(f"/T/{life.batch.trace_code}", headers=HTML)
    assert session.scalar(sa.select(sa.func.sum(UnitCode.scan_count)).where(UnitCode.batch_id == life.batch.id)) == 0


def test_the_threshold_and_feedback_limit_come_from_the_environment():
    config = Config.from_env({"TRACE_COUNTERFEIT_THRESHOLD": "3", "TRACE_FEEDBACK_RATE_LIMIT": "2/minute"})
    assert (config.counterfeit_threshold, config.feedback_rate_limit) == (3, "2/minute")
    assert Config.from_env({}).counterfeit_threshold == 5
    with pytest.raises(ConfigError, match="TRACE_COUNTERFEIT_THRESHOLD"):
        Config.from_env({"TRACE_COUNTERFEIT_THRESHOLD": "many"})
