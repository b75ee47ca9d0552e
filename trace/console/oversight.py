"""The inspectors' and administrators' dashboard."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from trace.console.blueprint import console, roles_required
from trace.console.charts import bar_chart
from trace.console.pages import add_nav, render
from trace.db import db, utcnow
from trace.extensions import page_language
from trace.models.organization import Role
from trace.services.lineage.acknowledgements import recall_holders
from trace.services.oversight.dashboard import dashboard as figures
from trace.times import show_time

add_nav("console.dashboard", _l("Dashboard"), Role.INSPECTOR, Role.ADMIN)


@console.get("/console/dashboard")
@roles_required(Role.INSPECTOR, Role.ADMIN)
def dashboard() -> Response:
    found = figures(db.session(), utcnow())
    lang = page_language()
    recalls = []
    for recall in found.open_recalls:
        lines = recall_holders(db.session(), recall)
        recalls.append({"recall": recall, "holders": len(lines),
                        "answered": sum(1 for line in lines if line.answer is not None)})
    chart = bar_chart([(day.isoformat(), n) for day, n in found.records_per_day], _("Records per day"))
    return render("console/dashboard.html", d=found, recalls=recalls, chart=Markup(chart),  # noqa: S704 (escaped)
                  message=lambda f: f.message_zh if lang == "zh" else f.message_en, show_time=show_time,
                  total=sum(n for _, n in found.records_per_day))
