"""The registry, the catalogs every label is translated in, and a new stage that is one module."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from tests.factories import event_body
from trace.models import Batch, Event
from trace.schemas.stage_extra import BUILT_IN_KEYS
from trace.stages import STAGES, Detail, PageView, Stage, registered, stage, transformation_stages, universal_stages

TRANSLATIONS = Path(__file__).resolve().parents[2] / "trace" / "translations"
LIFE = ["product", "registration", "planting", "input", "harvest", "processing", "test_request", "sampling",
        "inspection", "sorting", "packing", "storage", "shipping", "receiving", "sale", "certificate", "recall",
        "destruction", "correction", "certification", "certification_check", "brand", "brand_grant",
        "brand_revocation", "sensor_window"]


def test_the_registry_holds_every_stage_in_the_order_of_a_batchs_life():
    assert list(STAGES) == LIFE
    assert universal_stages() == {"test_request", "sampling", "inspection", "certificate", "recall", "destruction",
                                  "storage", "shipping", "receiving", "sale"}
    assert transformation_stages() == {"processing", "sorting"}
    with pytest.raises(KeyError):
        stage("tasting")


@pytest.mark.parametrize("name", LIFE)
def test_every_field_of_every_stage_has_a_label_in_chinese_and_english(name, both):
    named = stage(name)
    # extra and templates are every stage's, labelled by the category template version a record names
    assert named.field_keys - BUILT_IN_KEYS <= named.labels.keys(), "a data field without a label"
    for label in [named.label, *named.labels.values(), *(v for m in named.values.values() for v in m.values())]:
        zh, en = both(label)
        assert zh and en and zh != en, (name, zh, en)


def _catalog(locale: str) -> Any:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_compiled_catalogs_are_those_of_the_po_files(locale):
    compiled = BytesIO()
    write_mo(compiled, _catalog(locale))
    assert (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes() == compiled.getvalue(), (
        "run: pybabel compile -d trace/translations")


def test_every_label_is_in_both_catalogs_and_the_chinese_is_chinese():
    msgids = {str(label._args[0]) if hasattr(label, "_args") else str(label)
              for s in STAGES.values()
              for label in [s.label, *s.labels.values(), *(v for m in s.values.values() for v in m.values())]}
    zh, en = _catalog("zh_CN"), _catalog("en")
    for msgid in msgids:
        assert zh.get(msgid) is not None and zh[msgid].string and zh[msgid].string != msgid, msgid
        assert en.get(msgid) is not None and en[msgid].string, msgid


# --- a new stage, defined here and registered for one test: nothing else changes ------------------
class TastingData(Schema):
    panel = fields.String(required=True, validate=validate.Length(min=1, max=100))
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))


class Tasting(Stage):
    name = "tasting"
    position = 115
    label = "品鉴"
    biz_step = "trace:tasting"
    schema = TastingData
    disposition = "active"
    universal = True
    labels: ClassVar[dict[str, Any]] = {"panel": _l("Laboratory"), "score": _l("Result")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        for batch in batches:
            batch.disposition = "sellable_accessible" if data["score"] >= 60 else "non_sellable_other"

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["panel"], data["panel"]), (self.labels["score"], f"{data['score']}/100")]


def test_a_stage_defined_in_one_module_works_end_to_end(client, make, session):
    producer = make.actor("producer")
    batch = make.batch(producer)
    body = event_body("tasting", [batch], {"panel": "松阳茶叶品鉴组", "score": 88})
    assert client.post("/api/v1/events", json=body, headers=producer.headers).status_code == 422  # not yet a stage
    with registered(Tasting()):
        bad = client.post("/api/v1/events", json={**body, "data": {"panel": "x", "score": 101}},
                          headers=producer.headers)
        assert bad.status_code == 422 and set(bad.json["errors"]["data"]) == {"score"}
        r = client.post("/api/v1/events", json=body, headers=producer.headers)
        assert r.status_code == 201, r.json
        assert (r.json["stage"], r.json["bizStep"]) == ("tasting", "trace:tasting")
        session.refresh(batch)
        assert batch.disposition == "sellable_accessible"
        assert client.get(f"/api/v1/events/{body['id']}/tlog-proof").status_code == 200  # signed and logged
        epcis = client.get(f"/api/v1/exports/epcis?batch={batch.trace_code}", headers=producer.headers)
        assert epcis.status_code == 200, epcis.json
        [exported] = [e for e in epcis.json["epcisBody"]["eventList"] if e["trace:stage"] == "tasting"]
        assert (exported["bizStep"], exported["disposition"]) == ("trace:tasting", "https://ref.gs1.org/cbv/Disp-active")
        page = client.get(f"/T/{batch.trace_code}", headers={"Accept": "application/json"}).json
        [entry] = [e for e in page["timeline"] if e["stage"] == "tasting"]
        assert entry["stageName"] == "品鉴"
        assert entry["details"] == [{"label": "检测机构", "value": "松阳茶叶品鉴组"},
                                    {"label": "结果", "value": "88/100"}]
        english = client.get(f"/T/{batch.trace_code}?lang=en", headers={"Accept": "application/json"}).json
        [entry] = [e for e in english["timeline"] if e["stage"] == "tasting"]
        assert entry["details"][0] == {"label": "Laboratory", "value": "松阳茶叶品鉴组"}
    assert "tasting" not in STAGES
    assert session.get(Event, body["id"]).stage == "tasting"


class Audited(Tasting):
    name = "audited"
    service_only = True


def test_a_stage_only_a_service_records_is_refused_through_events(client, make):
    producer = make.actor("producer")
    batch = make.batch(producer)
    with registered(Audited()):
        r = client.post("/api/v1/events", json=event_body("audited", [batch], {"panel": "x", "score": 1}),
                        headers=producer.headers)
    assert r.status_code == 422 and r.json["errors"] == {"stage": ["Recorded by the service."]}
