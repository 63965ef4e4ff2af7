"""Business hours: when a queue is open, and time counted only while it is open. Pure.

The schedule is stored as JSON in ``Queue.business_hours``::

    {"timezone": "Europe/London",
     "weekly": {"mon": [["09:00", "17:00"]], "sat": [["10:00", "13:00"], ["14:00", "16:00"]]},
     "holidays": ["2024-12-25", {"date": "2024-12-24", "hours": [["09:00", "13:00"]]}]}

An empty ``weekly`` means open around the clock (the default, ``{}``, is 24/7 in UTC). Once any day
is listed, days not listed are closed. A holiday's ``hours`` replace that day's weekly hours; none
means closed all day. Intervals are half-open, ``[start, end)``, in the schedule's wall-clock time;
a shift across midnight is written as two intervals (``22:00-24:00`` and ``00:00-06:00`` of the
next day). Business time is real elapsed time inside open intervals, so an interval that spans a
DST change is an hour shorter or longer; ``parley.sla.wallclock`` says how skipped and repeated
times are read.

Every datetime taken must be timezone-aware; every datetime returned is UTC. No clock reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from parley.errors import InvalidInput, ParleyError
from parley.sla.wallclock import to_utc

# Give up looking for open time after this many consecutive days without any.
SEARCH_DAYS = 370
_DAY = dt.timedelta(days=1)
_SECOND = dt.timedelta(seconds=1)
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")

Span = tuple[dt.datetime, dt.datetime]
Minutes = tuple[tuple[int, int], ...]


class NoOpenTime(ParleyError):
    """The schedule has no open time in the year after the given instant (e.g. all holidays)."""

    code = "no_open_time"
    status = 422


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


WEEKDAYS = tuple(Weekday)  # indexed by date.weekday()


def _minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _check_interval(value: tuple[str, str]) -> tuple[str, str]:
    start, end = value
    for text in value:
        if not _TIME.fullmatch(text):
            raise ValueError(f"{text!r} is not a time of day written HH:MM, 00:00 to 24:00")
    if _minute(end) <= _minute(start):
        raise ValueError(
            f"the interval {start}-{end} does not end after it starts; write a shift across "
            f"midnight as {start}-24:00 and 00:00-{end} of the next day"
        )
    return value


def _check_day(value: list[tuple[str, str]]) -> list[tuple[str, str]]:
    ordered = sorted(value, key=lambda interval: _minute(interval[0]))
    for (start_a, end_a), (start_b, end_b) in pairwise(ordered):
        if _minute(start_b) < _minute(end_a):
            raise ValueError(f"the intervals {start_a}-{end_a} and {start_b}-{end_b} overlap")
    return ordered


def _holiday_shorthand(value: Any) -> Any:
    return {"date": value} if isinstance(value, str | dt.date) else value


Interval = Annotated[tuple[str, str], AfterValidator(_check_interval)]
DayHours = Annotated[list[Interval], Field(max_length=24), AfterValidator(_check_day)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(Strict):
    date: dt.date
    name: str = Field(default="", max_length=120)
    # The open hours that day, replacing the weekly ones; empty = closed all day.
    hours: DayHours = Field(default_factory=list)


@dataclass(frozen=True)
class _Compiled:
    tz: ZoneInfo
    always: bool  # 24/7 and no holidays: plain arithmetic
    weekly: tuple[Minutes, ...]
    holidays: dict[dt.date, Minutes]


def _minutes(day: list[tuple[str, str]]) -> Minutes:
    return tuple((_minute(start), _minute(end)) for start, end in day)


class BusinessHours(Strict):
    timezone: str = Field(default="UTC", max_length=64)
    weekly: dict[Weekday, DayHours] = Field(default_factory=dict)
    holidays: list[Annotated[Holiday, BeforeValidator(_holiday_shorthand)]] = Field(
        default_factory=list, max_length=1000
    )
    _compiled: _Compiled = PrivateAttr()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _some_open_time(cls, value: dict[Weekday, list[tuple[str, str]]]) -> Any:
        if value and not any(value.values()):
            raise ValueError("no day has open hours; leave weekly empty to be open 24/7")
        return value

    @field_validator("holidays")
    @classmethod
    def _one_per_date(cls, value: list[Holiday]) -> list[Holiday]:
        seen: set[dt.date] = set()
        for holiday in value:
            if holiday.date in seen:
                raise ValueError(f"{holiday.date.isoformat()} is listed twice")
            seen.add(holiday.date)
        return sorted(value, key=lambda holiday: holiday.date)

    def model_post_init(self, _: Any) -> None:
        around_the_clock: Minutes = ((0, 1440),)
        weekly = tuple(
            _minutes(self.weekly.get(day, [])) if self.weekly else around_the_clock
            for day in WEEKDAYS
        )
        self._compiled = _Compiled(
            tz=ZoneInfo(self.timezone),
            always=not self.weekly and not self.holidays,
            weekly=weekly,
            holidays={h.date: _minutes(h.hours) for h in self.holidays},
        )


ALWAYS_OPEN = BusinessHours()


def check_business_hours(data: Mapping[str, Any]) -> BusinessHours:
    """Validate stored or submitted JSON; raises InvalidInput with one message per bad field."""
    try:
        return BusinessHours.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in e["loc"]) or "business_hours": e["msg"] for e in exc.errors()
        }
        raise InvalidInput("the business hours are not valid", fields=fields) from None


def _utc(at: dt.datetime) -> dt.datetime:
    if at.utcoffset() is None:
        raise ValueError(f"{at!r} is naive; pass a timezone-aware datetime")
    return at.astimezone(dt.UTC)


def _day_spans(c: _Compiled, day: dt.date) -> Iterator[Span]:
    for start, end in c.holidays.get(day, c.weekly[day.weekday()]):
        opens, closes = to_utc(c.tz, day, start), to_utc(c.tz, day, end)
        if closes > opens:  # empty when the whole interval was skipped by the clocks
            yield opens, closes


def _spans_from(c: _Compiled, at: dt.datetime) -> Iterator[Span]:
    """Open spans in time order, cut to start no earlier than ``at``; raises NoOpenTime."""
    day = at.astimezone(c.tz).date() - _DAY
    idle = 0
    while idle <= SEARCH_DAYS:
        idle += 1
        for opens, closes in _day_spans(c, day):
            if closes > at:
                idle = 0
                yield max(opens, at), closes
        day += _DAY
    raise NoOpenTime(f"the business hours have no open time in the year after {at.isoformat()}")


def is_open(hours: BusinessHours, at: dt.datetime) -> bool:
    at = _utc(at)
    c = hours._compiled
    if c.always:
        return True
    day = at.astimezone(c.tz).date()
    return any(
        opens <= at < closes
        for d in (day - _DAY, day, day + _DAY)
        for opens, closes in _day_spans(c, d)
    )


def next_open(hours: BusinessHours, at: dt.datetime) -> dt.datetime:
    """The first instant at or after ``at`` when the schedule is open (``at`` itself if open)."""
    at = _utc(at)
    if hours._compiled.always:
        return at
    opens, _ = next(_spans_from(hours._compiled, at))
    return opens


def add_business_seconds(hours: BusinessHours, start: dt.datetime, seconds: int) -> dt.datetime:
    """The instant when ``seconds`` of open time have passed since ``start`` (the due time).

    A target that is used up exactly at closing time is due at closing time, not next morning.
    Precondition: ``seconds >= 0``. Walks interval by interval, so long targets are cheap.
    """
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    start = _utc(start)
    left = dt.timedelta(seconds=seconds)
    if hours._compiled.always or not left:
        return start + left
    spans = _spans_from(hours._compiled, start)
    while True:  # _spans_from never stops; it raises NoOpenTime instead
        opens, closes = next(spans)
        if left <= closes - opens:
            return opens + left
        left -= closes - opens


def business_seconds_between(hours: BusinessHours, a: dt.datetime, b: dt.datetime) -> int:
    """Whole seconds of open time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    a, b = _utc(a), _utc(b)
    if b < a:
        return -business_seconds_between(hours, b, a)
    c = hours._compiled
    if c.always:
        return (b - a) // _SECOND
    total = dt.timedelta()
    day, last = a.astimezone(c.tz).date() - _DAY, b.astimezone(c.tz).date() + _DAY
    while day <= last:
        for opens, closes in _day_spans(c, day):
            overlap = min(closes, b) - max(opens, a)
            if overlap > dt.timedelta():
                total += overlap
        day += _DAY
    return total // _SECOND
