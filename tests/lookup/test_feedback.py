"""Feedback from the lookup page: signed form token, same-origin check, validation, storage, rate limit."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.lookup.helpers import HTML, JSON, new_life, text_of
from trace.lookup.forms import form_token
from trace.models import Feedback
from trace.services.printing.labels import issue_labels


def form_of(client, path):
    html = client.get(path, headers=HTML).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return action.replace("&amp;", "&"), token


def stored(session):
    session.expire_all()
    return list(session.scalars(sa.select(Feedback).order_by(Feedback.id)))


def test_a_rating_is_stored_for_the_producer(client, life, session):
    action, token = form_of(client, f"/T/{life.batch.trace_code}")
    assert action == f"/T/{life.batch.trace_code}/feedback?lang=zh"
    r = client.post(action, data={"token": token, "kind": "rating", "rating": "4", "text": " 很新鲜 ", "contact": ""},
                    headers={**HTML, "Origin": "http://localhost"})
    assert r.status_code == 303
    assert r.headers["Location"] == f"/T/{life.batch.trace_code}/feedback?sent=1&lang=zh"
    (feedback,) = stored(session)
    assert (feedback.batch_id, feedback.organization_id, feedback.kind, feedback.rating, feedback.text,
            feedback.contact, feedback.lang, feedback.unit_code_id) == (
        life.batch.id, life.producer.org.id, "rating", 4, "很新鲜", None, "zh", None)
    thanks = client.get(r.headers["Location"], headers=HTML)
    assert thanks.status_code == 200 and "感谢您的反馈" in thanks.get_data(as_text=True)
    # the same form sent again (a reload, a double tap) is stored once
    again = client.post(action, data={"token": token, "kind": "rating", "rating": "4"}, headers=HTML)
    assert again.status_code == 303 and len(stored(session)) == 1


def test_a_complaint_about_a_unit_names_the_unit(client, life, session):
    _, (unit,) = issue_labels(session, life.producer.user, life.batch, 1)
    session.commit()
    action, token = form_of(client, f"/T/{unit.serial}?lang=en")
    assert action == f"/T/{unit.serial}/feedback?lang=en"
    r = client.post(action, data={"token": token, "kind": "complaint", "text": "The box was open.",
                                  "contact": "138 0000 0000"}, headers=HTML)
    assert r.status_code == 303 and r.headers["Location"].endswith("lang=en")
    (feedback,) = stored(session)
    assert (feedback.kind, feedback.rating, feedback.unit_code_id, feedback.lang, feedback.contact) == (
        "complaint", None, unit.id, "en", "138 0000 0000")


def test_invalid_forms_are_shown_again_with_the_problem(client, life, session):
    code = life.batch.trace_code
    _, token = form_of(client, f"/T/{code}")
    for data, field_message in (({"kind": "rating"}, "请选择 1～5 星"),
                                ({"kind": "rating", "rating": "9"}, "请选择 1～5 星"),
                                ({"kind": "complaint", "text": "  "}, "请填写投诉内容"),
                                ({"kind": "praise", "rating": "5"}, "填写有误"),
                                ({"kind": "rating", "rating": "5", "text": "长" * 1001}, "填写有误")):
        r = client.post(f"/T/{code}/feedback", data={"token": token, **data}, headers=HTML)
        assert r.status_code == 422, data
        html = r.get_data(as_text=True)
        assert "请检查表单" in html and field_message in html and 'name="token"' in html
    assert stored(session) == []


def test_forged_expired_or_foreign_forms_are_refused(client, life, make, session, ledger, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACE", app.config["TRACE"].with_(feedback_rate_limit="100/minute"))
    code = life.batch.trace_code
    other = new_life(make, session, ledger).batch.trace_code
    _, token = form_of(client, f"/T/{code}")
    fields = {"kind": "rating", "rating": "5"}
    for bad in ("", "nonsense", token[:-2] + "xx", form_token("another secret", code),
                form_token(app.secret_key, other), form_token(app.secret_key, code)[:-1]):
        r = client.post(f"/T/{code}/feedback", data={"token": bad, **fields}, headers=HTML)
        assert r.status_code == 400 and "表单已过期或无效" in r.get_data(as_text=True)
    r = client.post(f"/T/{code}/feedback", data={"token": token, **fields},
                    headers={**HTML, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "只能从本站页面提交反馈" in r.get_data(as_text=True)
    r = client.post(f"/T/{code}/feedback", data={"token": token, **fields},
                    headers={**HTML, "Origin": "https://trace.example.cn"})  # the public URL's origin
    assert r.status_code == 303
    assert len(stored(session)) == 1


def test_feedback_is_rate_limited_more_tightly_than_lookups(client, life, session):
    code = life.batch.trace_code
    statuses = []
    for _ in range(6):
        _, token = form_of(client, f"/T/{code}")
        statuses.append(client.post(f"/T/{code}/feedback", data={"token": token, "kind": "rating", "rating": "5"},
                                    headers=HTML).status_code)
    assert statuses == [303] * 5 + [429]
    assert len(stored(session)) == 5
    assert client.get(f"/T/{code}", headers=HTML).status_code == 200  # lookups go on


def test_the_rate_limited_feedback_page_says_so_keeps_the_text_and_leads_back(client, life, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACE", app.config["TRACE"].with_(feedback_rate_limit="1/minute"))
    code = life.batch.trace_code
    _, token = form_of(client, f"/T/{code}")
    client.post(f"/T/{code}/feedback", data={"token": token, "kind": "rating", "rating": "4"}, headers=HTML)
    typed = {"token": token, "kind": "complaint", "text": "包装破损，番茄压坏了 <b>", "contact": "138 0000 0000"}
    r = client.post(f"/T/{code}/feedback", data=typed, headers=HTML)
    html = r.get_data(as_text=True)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60" and r.headers["Cache-Control"] == "no-store"
    text = text_of(html)
    assert "多次提交了反馈" in text and "查询过于频繁" not in text
    assert ">包装破损，番茄压坏了 &lt;b&gt;</textarea>" in html and 'value="138 0000 0000"' in html  # kept, escaped
    assert 'value="complaint" checked' in html
    assert f'<a href="/T/{code}?lang=zh">' in html  # a way back to the product page
    assert re.search(r'name="token" value="[^"]+"', html)  # a fresh form, to send again later
    r = client.post(f"/T/{code}/feedback?lang=en", data=typed, headers=HTML)
    assert r.status_code == 429 and "You have sent feedback several times" in r.get_data(as_text=True)
    assert client.post(f"/T/{code}/feedback", data=typed, headers=JSON).status_code == 429  # the API way: JSON


def test_the_feedback_page_has_a_fresh_form(client, life):
    r = client.get(f"/t/{life.batch.trace_code}/feedback?lang=en", headers=HTML)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Feedback" in html and "Thank you" not in html and 'name="token"' in html
    assert client.get(f"/t/{life.batch.trace_code[:-1]}/feedback", headers=HTML).status_code == 400
