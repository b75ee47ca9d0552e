"""Sensor readings of one sensor over one time window (传感器读数): the signed messages it sent, by hash.

Made by ``services/sensors/windows.py`` when a window closes, signed by the sensor's organization;
it names no batch (which batches were at the place then is read from custody and storage records)
and cites every message the sensor signed in the window, so the raw readings are covered by its hash.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from trace.schemas.common import RowId
from trace.stages.base import Stage
from trace.stages.fields import text


class Message(Schema):
    id = fields.String(required=True)
    sha256 = fields.String(required=True)


class Summary(Schema):
    count = fields.Integer(required=True)
    min = fields.String(required=True)
    max = fields.String(required=True)


class SensorWindowData(Schema):
    device = RowId(required=True)
    sensor = text(64, required=True)
    location = RowId(allow_none=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    messages = fields.List(fields.Nested(Message), required=True)
    readings = fields.Dict(keys=fields.String(), values=fields.Nested(Summary), required=True)


class SensorWindow(Stage):
    name = "sensor_window"
    position = 173
    label = _l("Sensor readings")
    biz_step = "trace:sensor_readings"
    schema = SensorWindowData
    service_only = True
    recorded_through = "flask trace mqtt"
    labels = {"device": _l("Device"), "sensor": _l("Sensor"), "location": _l("Location"), "start": _l("From"),
              "end": _l("Until"), "messages": _l("Messages"), "readings": _l("Readings")}
