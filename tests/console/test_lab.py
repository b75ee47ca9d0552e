"""A producer asks a laboratory for a test through the generated form; the laboratory answers in its console."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.console.helpers import csrf_of, make_account, sign_in
from tests.factories import Actor
from trace.models import Event, LogEntry


def _record_id(html):
    return re.search(r'name="record_id" value="([^"]+)"', html).group(1)


def _ask(client, make, lab_org):
    producer = make_account(make, "producer")
    batch = make.batch(Actor(producer, ""))
    make.session.commit()
    sign_in(client, producer.username)
    url = f"/console/batches/{batch.trace_code}/record/test_request"
    form = client.get(url).text
    assert f'<option value="{lab_org.id}">{lab_org.name}</option>' in form
    assert producer.organization.name not in re.search(r'name="data.laboratory".*?</select>', form, re.S).group(0)
    response = client.post(url, data={"csrf_token": csrf_of(form), "record_id": _record_id(form),
                                      "occurredAt": "2026-11-22T10:00", "data.laboratory": str(lab_org.id),
                                      "data.items": "毒死蜩\n  \n克百威\n"})
    assert response.status_code == 302, response.text
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/console/").text)})
    return batch, _record_id(form)


def test_the_laboratory_answers_the_request_addressed_to_it(client, make, session):
    lab = make_account(make, "lab")
    batch, asked_id = _ask(client, make, lab.organization)
    assert session.get(Event, asked_id).data["items"] == ["毒死蜩", "克百威"]
    sign_in(client, lab.username)
    listed = client.get("/console/lab/requests").text
    assert batch.trace_code in listed and f"/console/lab/requests/{asked_id}/result" in listed
    url = f"/console/lab/requests/{asked_id}/result"
    form = client.get(url).text
    assert 'value="毒死蜩"' in form and 'value="克百威"' in form
    body = {"csrf_token": csrf_of(form), "record_id": _record_id(form), "occurredAt": "2026-11-23T15:30",
            "reportNumber": "SY-2026-0042", "result": "pass",
            "item_0": "毒死蜩", "limit_0": "0.02", "measured_0": "0.005", "unit_0": "mg/kg", "result_0": "pass",
            "item_1": "克百威", "limit_1": "0.02", "measured_1": "0", "unit_1": "mg/kg", "result_1": "pass"}
    assert client.post(url, data=body).status_code == 302
    result = session.get(Event, body["record_id"])
    assert result.stage == "inspection" and result.organization_id == lab.organization_id
    assert result.data["request"] == asked_id and result.data["basis"] == "commissioned"
    assert [(i["item"], i["measured"]) for i in result.data["items"]] == [("毒死蜩", "0.005"), ("克百威", "0")]
    assert session.scalar(sa.select(LogEntry).where(LogEntry.event_id == result.id)) is not None
    assert '<span class="ok">已回复</span>' in client.get("/console/lab/requests").text


def test_a_result_that_contradicts_its_items_is_refused_beside_them_and_nothing_is_written(client, make, session):
    lab = make_account(make, "lab")
    _batch, asked_id = _ask(client, make, lab.organization)
    sign_in(client, lab.username)
    url = f"/console/lab/requests/{asked_id}/result"
    form = client.get(url).text
    before = session.scalar(sa.select(sa.func.count()).select_from(Event))
    body = {"csrf_token": csrf_of(form), "record_id": _record_id(form), "occurredAt": "2026-11-23T15:30",
            "result": "pass", "item_0": "毒死蜩", "measured_0": "abc", "result_0": "fail"}
    response = client.post(url, data=body)
    assert response.status_code == 422
    assert 'id="measured_0-err"' in response.text and 'value="abc"' in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == before


def test_another_laboratory_neither_sees_nor_answers_the_request(client, make, session):
    lab = make_account(make, "lab")
    other = make_account(make, "lab")
    _batch, asked_id = _ask(client, make, lab.organization)
    sign_in(client, other.username)
    assert asked_id not in client.get("/console/lab/requests").text
    assert client.get(f"/console/lab/requests/{asked_id}/result").status_code == 404
    assert client.post(f"/console/lab/requests/{asked_id}/result",
                       data={"csrf_token": csrf_of(client.get("/console/").text)}).status_code == 404
