"""Query strings and path parameters: bounded, in plain ASCII digits, and a clear 4xx otherwise (never a 500)."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem
from trace.schemas.common import MAX_LOG_INDEX, MAX_PAGE


@pytest.fixture()
def scene(make):
    admin = make.actor("admin")
    producer = make.actor("producer")
    batch = make.batch(producer, make.product(producer))
    return {"admin": admin, "batch": batch}


HUGE = str(10**18)
NOT_PLAIN = ["1_0", "%205", "5%20", "%D9%A5", "+5", "0x10", "1e3", "", HUGE, "9" * 5000]


@pytest.mark.parametrize("value", NOT_PLAIN)
@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/v1/batches?page={}", "page"), ("/api/v1/batches?perPage={}", "perPage"),
     ("/api/v1/feedback?page={}", "page"), ("/api/v1/compliance/findings?page={}", "page"),
     ("/api/v1/log/entries?start={}", "start"), ("/api/v1/log/entries?limit={}", "limit"),
     ("/api/v1/log/proof/inclusion?index=0&size={}", "size"),
     ("/api/v1/log/proof/consistency?old=1&new={}", "new"),
     ("/api/v1/batches/{code}/qr.png?size={}", "size"),
     ("/api/v1/batches/{code}/labels.pdf?layout=a4-3x7&count={}", "count")],
)
def test_numbers_in_query_strings_are_plain_and_bounded(client, scene, path, name, value):
    url = path.replace("{code}", scene["batch"].trace_code).format(value)
    problem = assert_problem(client.get(url, headers=scene["admin"].headers), 422, "validation", name)
    assert problem["errors"][name]


@pytest.mark.parametrize(("path", "edge"), [
    ("/api/v1/batches?page={}", MAX_PAGE), ("/api/v1/feedback?page={}", MAX_PAGE),
    ("/api/v1/compliance/findings?page={}", MAX_PAGE), ("/api/v1/log/entries?start={}", MAX_LOG_INDEX)])
def test_the_last_page_allowed_is_empty_not_an_error(client, scene, path, edge):
    r = client.get(path.format(edge), headers=scene["admin"].headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.json["items"] == []
    assert_problem(client.get(path.format(edge + 1), headers=scene["admin"].headers), 422, "validation")


@pytest.mark.parametrize("index", [str(MAX_LOG_INDEX), str(MAX_LOG_INDEX + 1), HUGE + "0", "9" * 5000, "%D9%A5"])
def test_log_entries_beyond_any_log_are_404(client, index):
    assert_problem(client.get(f"/api/v1/log/entries/{index}"), 404, "not-found")


@pytest.mark.parametrize("row_id", ["%D9%A5", "2147483648", "9" * 5000])
def test_row_ids_in_paths_beyond_any_row_are_404(client, scene, row_id):
    assert_problem(client.get(f"/api/v1/products/{row_id}", headers=scene["admin"].headers), 404, "not-found")


def test_a_plain_page_number_still_works(client, scene):
    r = client.get("/api/v1/batches?page=1&perPage=5", headers=scene["admin"].headers)
    assert r.status_code == 200
    assert r.json["page"] == 1 and r.json["perPage"] == 5
    assert r.json["items"]


@pytest.mark.parametrize("name", ["%01", "%7F", "%C2%88", "a" * 201])
def test_attachment_names_are_text_in_the_grammar(client, make, name):
    producer = make.actor("producer")
    pdf = b"%PDF-1.4\n%%EOF\n"
    r = client.post(f"/api/v1/attachments?name={name}", data=pdf, content_type="application/pdf",
                    headers=producer.headers)
    assert_problem(r, 422, "validation", "name")


@pytest.mark.parametrize("rating", ["%D9%A5", "1_0", "%205", "9" * 5000])
def test_feedback_ratings_are_plain_digits(client, scene, rating):
    import re

    code = scene["batch"].trace_code
    token = re.search(r'name="token" value="([^"]+)"', client.get(f"/t/{code}").get_data(as_text=True)).group(1)
    r = client.post(f"/t/{code}/feedback", data=f"token={token}&kind=rating&rating={rating}".encode(),
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 422
    assert r.mimetype == "text/html"
