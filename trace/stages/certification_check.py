"""Certification verification (认证核验): an inspector or administrator checks a declared certificate.

Made by ``/api/v1/certifications/<id>/verification`` and signed by the checker's organization;
the latest one decides whether pages show the certification as verified.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import RowId
from trace.stages.base import Label, Stage
from trace.stages.fields import text

RESULTS: dict[str, Label] = {"verified": _l("Verified"), "rejected": _l("Rejected")}


class CertificationCheckData(Schema):
    certification = RowId(required=True)
    result = fields.String(required=True, validate=validate.OneOf(list(RESULTS)))
    note = text(1000)


class CertificationCheck(Stage):
    name = "certification_check"
    position = 161
    label = _l("Certification verification")
    biz_step = "trace:certification_check"
    schema = CertificationCheckData
    service_only = True
    recorded_through = "/api/v1/certifications/<id>/verification"
    labels = {"certification": _l("Certification"), "result": _l("Result"), "note": _l("Note")}
    values = {"result": RESULTS}
