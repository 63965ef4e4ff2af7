"""Local wall-clock times to UTC instants, with one fixed answer for DST gaps and overlaps. Pure.

A schedule is written in wall-clock time ("09:00" in Europe/London); counting happens in UTC.
Twice a year a wall-clock time does not map to exactly one instant:

* **Skipped** (clocks go forward, e.g. 01:30 on the last Sunday of March in London): the time is
  read as the moment the clocks go forward (01:00 UTC, shown as 02:00 BST). An interval inside the
  skipped hour is therefore empty that day, and one that straddles it starts when the clocks jump.
* **Repeated** (clocks go back, e.g. 01:30 on the last Sunday of October in London): the time is
  read as its first occurrence (``fold=0``, still summer time).

Both rules keep the mapping non-decreasing, so intervals that do not overlap in wall-clock time
never overlap in UTC, and adjacent ones stay adjacent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MICROSECOND = timedelta(microseconds=1)


def to_utc(tz: ZoneInfo, day: date, minute: int) -> datetime:
    """The instant ``minute`` minutes after local midnight of ``day``; 1440 is the next midnight."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    return _end_of_gap(tz, wall)


def _end_of_gap(tz: ZoneInfo, wall: datetime) -> datetime:
    """The first instant whose local time is at or after ``wall``, a time the clocks skipped.

    In a gap, ``fold=1`` reads the time with the offset after the jump (an instant before it) and
    ``fold=0`` with the offset before (an instant after it); the jump lies between. zoneinfo does
    not expose its transitions, so bisect to the microsecond (about 32 steps for an hour).
    """
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    while hi - lo > _MICROSECOND:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi
