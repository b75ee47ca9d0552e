"""The inspectors' dashboard: open compliance findings, failed tests, open recalls and their answers,
recent consumer feedback, and records per China day.

Each figure is one indexed query (records per day: one count per day over the ``occurred_at``
index), so the page stays fast on a county's million records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from trace.models import ComplianceFinding, Event, Feedback, Recall
from trace.times import CHINA

RECENT = 10  # rows of each list
FAILED_WINDOW = dt.timedelta(days=90)


@dataclass(frozen=True)
class Dashboard:
    open_findings: int
    findings: list[ComplianceFinding]
    failed_tests: int
    failures: list[Event]
    open_recalls: list[Recall]
    feedback: int  # received in the last 30 days
    records_per_day: list[tuple[dt.date, int]]


def china_day_start(day: dt.date) -> dt.datetime:
    """Return the UTC moment a China day begins."""
    return dt.datetime.combine(day, dt.time(), CHINA).astimezone(dt.UTC)


def dashboard(session: Session, now: dt.datetime, days: int = 30) -> Dashboard:
    """Return the dashboard's figures as of ``now`` (aware), with ``days`` days of records per day."""
    open_finding = ComplianceFinding.resolved_at.is_(None)
    failed = sa.and_(Event.stage == "inspection", Event.data["result"].as_string() == "fail",
                     Event.occurred_at >= now - FAILED_WINDOW)
    today = now.astimezone(CHINA).date()
    first = today - dt.timedelta(days=days - 1)
    per_day = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        count = session.scalar(sa.select(sa.func.count()).select_from(Event).where(
            Event.occurred_at >= china_day_start(day), Event.occurred_at < china_day_start(day + dt.timedelta(days=1))))
        per_day.append((day, count or 0))
    return Dashboard(
        open_findings=session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding).where(open_finding))
        or 0,
        findings=list(session.scalars(sa.select(ComplianceFinding).where(open_finding)
                                      .options(joinedload(ComplianceFinding.batch))
                                      .order_by(ComplianceFinding.created_at.desc()).limit(RECENT))),
        failed_tests=session.scalar(sa.select(sa.func.count()).select_from(Event).where(failed)) or 0,
        failures=list(session.scalars(sa.select(Event).where(failed).order_by(Event.occurred_at.desc())
                                      .limit(RECENT))),
        open_recalls=list(session.scalars(sa.select(Recall).where(Recall.status == "open")
                                          .options(joinedload(Recall.batch)).order_by(Recall.opened_at.desc()))),
        feedback=session.scalar(sa.select(sa.func.count()).select_from(Feedback).where(
            Feedback.created_at >= now - dt.timedelta(days=30))) or 0,
        records_per_day=per_day,
    )
