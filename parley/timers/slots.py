"""When a schedule fires. Pure: a schedule and a time in, the next firing time out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parley.flows.model import Schedule


def next_slot(schedule: Schedule, after: datetime) -> datetime:
    """The first firing time strictly after ``after``, in UTC.

    ``every_minutes`` slots are aligned on multiples of the period since the Unix epoch, so every
    worker computes the same slots whatever time it started. ``daily_at`` is a wall-clock time
    in the schedule's zone (UTC by default); on the day clocks go forward a time that does not
    exist fires an hour later, and on the day they go back the first of the two times fires.
    """
    if schedule.every_minutes is not None:
        period = schedule.every_minutes * 60
        return datetime.fromtimestamp((int(after.timestamp()) // period + 1) * period, UTC)
    assert schedule.daily_at is not None
    hour, minute = (int(part) for part in schedule.daily_at.split(":"))
    zone = ZoneInfo(schedule.timezone or "UTC")
    day = after.astimezone(zone).date()
    for offset in range(3):
        local = datetime.combine(day + timedelta(days=offset), time(hour, minute), tzinfo=zone)
        # Round-tripping through UTC normalizes a time skipped by a DST change.
        slot = local.astimezone(UTC)
        if slot > after:
            return slot
    raise AssertionError("a daily time always occurs within three days")  # pragma: no cover
