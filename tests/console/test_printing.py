"""Printing from the console: label sheets and the 承诺达标合格证, decoded as a phone would read them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.codes.helpers import decode, open_pdf, page_text, render
from tests.console.helpers import csrf_of, make_account, sign_in
from tests.factories import Actor
from trace.models import Event


def _batch(client, make):
    producer = make_account(make, "producer")
    batch = make.batch(Actor(producer, ""))
    make.session.commit()
    sign_in(client, producer.username)
    return batch


def test_a_producer_issues_a_certificate_and_prints_it(client, make, session, app):
    batch = _batch(client, make)
    url = f"/console/batches/{batch.trace_code}/certificate"
    assert client.get(f"{url}.pdf").status_code == 404  # none issued yet
    form = client.get(url).text
    record_id = re.search(r'name="record_id" value="([^"]+)"', form).group(1)
    response = client.post(url, data={"csrf_token": csrf_of(form), "record_id": record_id,
                                      "basis": ["self_test"], "quantity": "40"})
    assert response.status_code == 302, response.text
    event = session.get(Event, record_id)
    assert event.stage == "certificate" and event.data["quantity"] == "40"
    pdf = client.get(f"{url}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    with open_pdf(pdf.data) as doc:
        text = page_text(doc[0])
        found = decode(render(doc[0]))
    assert "承诺达标合格证" in text and "自行检测" in text
    public = app.config["TRACE"].public_url.rstrip("/")
    assert [f.text.lower() for f in found] == [f"{public}/t/{batch.trace_code}".lower()]


def test_a_certificate_without_a_basis_is_refused_and_nothing_is_written(client, make, session):
    batch = _batch(client, make)
    url = f"/console/batches/{batch.trace_code}/certificate"
    form = client.get(url).text
    before = session.scalar(sa.select(sa.func.count()).select_from(Event))
    response = client.post(url, data={"csrf_token": csrf_of(form), "record_id": re.search(
        r'name="record_id" value="([^"]+)"', form).group(1)})
    assert response.status_code == 422 and 'id="basis-err"' in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == before


def test_label_sheets_carry_the_batch_url_on_every_label(client, make, app):
    batch = _batch(client, make)
    sheet = client.get(f"/console/batches/{batch.trace_code}/labels.pdf?layout=a4-3x7")
    assert sheet.status_code == 200
    with open_pdf(sheet.data) as doc:
        found = decode(render(doc[0]))
    public = app.config["TRACE"].public_url.rstrip("/")
    assert len(found) == 21 and {f.text.lower() for f in found} == {f"{public}/t/{batch.trace_code}".lower()}
    assert client.get(f"/console/batches/{batch.trace_code}/labels.pdf?layout=nope").status_code == 404
