"""Fixtures for the printing tests: a producer and a batch with the URL its QR codes must encode."""

from __future__ import annotations

import pytest

from tests.api.helpers import BASE, GTIN


@pytest.fixture()
def producer(make):
    return make.actor("producer")


@pytest.fixture(params=["lookup", "digital_link"])
def labelled(request, make, producer):
    """A batch and the URL its QR codes must encode: /T/<code>, or the Digital Link with a GTIN."""
    if request.param == "lookup":
        batch = make.batch(producer, make.product(producer, name="高山番茄"))
        return batch, f"{BASE}/T/{batch.trace_code}"
    batch = make.batch(producer, make.product(producer, gtin=GTIN, name="红心猕猴桃"), lot="2024-09-A")
    return batch, f"{BASE}/01/{GTIN}/10/2024-09-A"
