"""Photos on the lookup page: the product's (signed with its master data) and those records cite, as small WebP."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.lookup.helpers import HTML, JSON, text_of
from trace.models import Event, Product

GPS_IFD = 0x8825


def photo(color=(200, 60, 40), size=(1280, 960)) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (28.0, 19.0, 48.0), 3: "E", 4: (119.0, 20.0, 44.0)})
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(client, actor, content, content_type="image/jpeg", name="photo.jpg"):
    return client.post(f"/api/v1/attachments?name={name}", data=content, headers={**actor.headers,
                                                                                   "Content-Type": content_type})


def test_the_upload_sniffs_the_type_and_strips_gps(client, make):
    producer = make.actor("producer")
    up = upload(client, producer, photo(), content_type="application/octet-stream", name="field.png")
    assert up.status_code == 201 and up.json["mime"] == "image/jpeg"  # from the content, not the name
    stored = client.get(f"/api/v1/attachments/{up.json['sha256']}", headers=producer.headers).data
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(GPS_IFD)
    assert upload(client, producer, photo(), content_type="image/png").status_code == 422  # declared ≠ content
    assert upload(client, producer, b"GIF89a not really", content_type="application/octet-stream").status_code == 415
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, "PNG")
    r = upload(client, producer, bomb.getvalue(), content_type="image/png")
    assert r.status_code == 422 and "megapixels" in r.json["detail"]


def test_derivatives_are_public_small_webp_cached_for_a_year(client, make):
    producer = make.actor("producer")
    sha = upload(client, producer, photo()).json["sha256"]
    r = client.get(f"/photos/{sha}/480.webp")
    assert r.status_code == 200 and r.mimetype == "image/webp"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(r.data)).size == (480, 360)
    assert client.get(f"/photos/{sha}/480.webp", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    assert client.get(f"/photos/{sha}/481.webp").status_code == 404  # only the widths made
    assert client.get(f"/photos/{'0' * 64}/480.webp").status_code == 404
    pdf = upload(client, producer, b"%PDF-1.4 report", content_type="application/pdf").json["sha256"]
    assert client.get(f"/photos/{pdf}/240.webp").status_code == 404  # a report is no photo


def test_a_product_photo_is_signed_master_data_and_leads_the_page(client, life, session):
    producer = life.producer
    first = upload(client, producer, photo()).json["sha256"]
    r = client.patch(f"/api/v1/products/{life.product.id}", json={"photo": first}, headers=producer.headers)
    assert r.status_code == 200 and r.json["photo"] == first
    session.expire_all()
    record = session.get(Event, session.get(Product, life.product.id).record_id)
    assert record.stage == "product" and record.data["photo"] == first  # a new signed product record
    html = client.get(f"/T/{life.batch.trace_code}", headers=HTML).get_data(as_text=True)
    hero = re.search(r'<figure class="hero"><img ([^>]+)>', html)
    assert hero, html[:2000]
    assert f'src="/photos/{first}/480.webp"' in hero.group(1) and 'loading="lazy"' in hero.group(1)
    assert f"/photos/{first}/240.webp 240w, /photos/{first}/480.webp 480w, /photos/{first}/960.webp 960w" in html
    assert "✓ 已验证" in text_of(html)  # the product row still equals its newest signed record
    second = upload(client, producer, photo(color=(20, 90, 200))).json["sha256"]
    client.patch(f"/api/v1/products/{life.product.id}", json={"photo": second}, headers=producer.headers)
    html = client.get(f"/T/{life.batch.trace_code}", headers=HTML).get_data(as_text=True)
    assert f"/photos/{second}/480.webp" in html and first not in html  # the cached page followed the change
    pdf = upload(client, producer, b"%PDF-1.4 x", content_type="application/pdf").json["sha256"]
    r = client.patch(f"/api/v1/products/{life.product.id}", json={"photo": pdf}, headers=producer.headers)
    assert r.status_code == 422 and "photo" in r.json["errors"]


def test_field_photos_cited_by_records_show_and_so_do_a_source_batch_s(client, gen, session):
    seeds = gen.raw("100")
    up = upload(client, gen.producer, photo(color=(10, 160, 10))).json
    harvest = {"id": "00000000-0000-4000-8000-0000000000a1", "stage": "harvest", "batches": [seeds.trace_code],
               "occurredAt": "2026-09-01T08:00:00+08:00", "data": {"quantity": "100", "uom": "KGM"},
               "attachments": [up]}
    assert client.post("/api/v1/events", json=harvest, headers=gen.producer.headers).status_code == 201
    (oil,) = gen.transform([(seeds, "100")], ["40"])
    session.commit()
    for code, caption in ((seeds.trace_code, "采收"), (oil.trace_code, f"原料批次 {seeds.trace_code}")):
        html = client.get(f"/T/{code}", headers=HTML).get_data(as_text=True)
        assert f"/photos/{up['sha256']}/480.webp" in html, code
        assert caption in text_of(html), code
    body = client.get(f"/T/{oil.trace_code}", headers=JSON).json
    assert [p["sha256"] for p in body["photos"]] == [up["sha256"]]
    assert body["sources"][0]["code"] == seeds.trace_code  # where it came from, at a glance


@pytest.mark.parametrize("count", [6])
def test_the_page_with_photos_stays_small(client, life, count):
    for i in range(count):
        sha = upload(client, life.producer, photo(color=(i * 30, 100, 50))).json
        life.record("storage", {"warehouse": f"Store {i}"}, attachments=[sha])
    html = client.get(f"/T/{life.batch.trace_code}", headers=HTML).get_data(as_text=True)
    assert html.count('loading="lazy"') == count and len(html.encode()) <= 30 * 1024
    assert session_free(html)


def session_free(html: str) -> bool:
    """Tell whether every image on the page comes from this site (no remote hosts)."""
    return all(src.startswith("/photos/") for src in re.findall(r'<img [^>]*src="([^"]+)"', html))
