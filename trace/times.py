"""Time in one place: China's time zone, parsing an offset time, writing RFC 3339."""

from __future__ import annotations

import datetime as dt
from typing import Any

# China Standard Time: UTC+8 all year (no daylight saving since 1991); dates on pages and labels.
CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
CHINA_ZONE_NAME = "Asia/Shanghai"


def parse_time(value: Any) -> dt.datetime | None:
    """Return an ISO 8601 time with an offset (``Z`` included) as an aware datetime; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def rfc3339(moment: dt.datetime) -> str:
    """Return a UTC time as RFC 3339 with a Z."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def show_time(moment: dt.datetime | None) -> str | None:
    """Return a stored UTC time as pages show it: China time, to the minute."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else None


def show_date(moment: dt.datetime | None) -> str | None:
    """Return a stored UTC time as a China date."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d") if moment else None
