"""Uploaded images: the type from the content, no EXIF (GPS included), a pixel limit, WebP derivatives."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from trace.errors import UnsupportedMediaTypeError, ValidationError
from trace.services.records.photos import MAX_PIXELS, derivative_widths, make_derivatives, sniff

GPS_IFD = 0x8825


def jpeg_with_gps(size=(64, 32), orientation=6) -> bytes:
    """Return a JPEG whose EXIF holds a GPS position and an orientation, with a comment and XMP."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (28.0, 19.0, 48.0), 3: "E", 4: (119.0, 20.0, 44.0)})
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", exif=exif.tobytes(), comment=b"farm at 28.33N",
                                                xmp=b"<x:xmpmeta>GPSLatitude 28.33</x:xmpmeta>")
    return out.getvalue()


def test_a_jpeg_loses_its_exif_gps_comment_and_xmp_and_stands_upright():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture really carries GPS
    found = sniff(original)
    assert found.mime == "image/jpeg" and (found.width, found.height) == (32, 64)  # turned by its orientation
    cleaned = Image.open(io.BytesIO(found.content))
    assert dict(cleaned.getexif()) == {} and not cleaned.getexif().get_ifd(GPS_IFD)
    for secret in (b"28.33", b"PhoneMaker", b"Exif", b"xmpmeta"):
        assert secret not in found.content, secret


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_recognised_by_content_and_cleaned(fmt):
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (28.0, 19.0, 48.0)})
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 120, 0)).save(out, fmt, exif=exif.tobytes())
    found = sniff(out.getvalue())
    assert found.mime == f"image/{fmt.lower()}" and (found.width, found.height) == (20, 10)
    assert not Image.open(io.BytesIO(found.content)).getexif().get_ifd(GPS_IFD)


def test_a_pdf_passes_unchanged_and_anything_else_is_refused():
    pdf = b"%PDF-1.4 report"
    assert sniff(pdf).content == pdf and sniff(pdf).mime == "application/pdf"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    for content in (b"plain text named photo.jpg", gif.getvalue()):
        with pytest.raises(UnsupportedMediaTypeError):
            sniff(content)


def test_a_truncated_image_is_refused():
    with pytest.raises(ValidationError):
        sniff(jpeg_with_gps(size=(400, 300))[:600])


def test_images_over_40_megapixels_are_refused_before_decoding_even_when_tiny_on_disk():
    bomb = io.BytesIO()
    Image.new("1", (8000, 5001)).save(bomb, "PNG")  # 40,008,000 pixels of nothing: a few kilobytes
    assert len(bomb.getvalue()) < 100_000 and 8000 * 5001 > MAX_PIXELS
    with pytest.raises(ValidationError, match="megapixels"):
        sniff(bomb.getvalue())
    fits = io.BytesIO()
    Image.new("1", (8000, 5000)).save(fits, "PNG")  # exactly 40 megapixels
    assert sniff(fits.getvalue()).width == 8000


def test_derivatives_are_webp_at_a_few_widths_never_wider_than_the_image(tmp_path):
    assert derivative_widths(2000) == [240, 480, 960] and derivative_widths(300) == [240, 300]
    assert derivative_widths(100) == [100] and derivative_widths(None) == []
    original = tmp_path / "photo"
    original.write_bytes(sniff(jpeg_with_gps(size=(1200, 800), orientation=1)).content)
    made = make_derivatives(original)
    assert sorted(made) == [240, 480, 960]
    for width, path in made.items():
        with Image.open(path) as image:
            assert image.format == "WEBP" and image.width == width and image.height == round(800 * width / 1200)
    assert made[240].stat().st_size < made[960].stat().st_size < original.stat().st_size
