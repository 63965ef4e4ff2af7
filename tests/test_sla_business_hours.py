"""Business-hours arithmetic. Expected instants are worked out by hand in the comments.

Pure: no database, so no storage fixtures. London is GMT (UTC+0) in winter and BST (UTC+1) from
the last Sunday of March to the last Sunday of October; New York is EST (UTC-5) and EDT (UTC-4)
from the second Sunday of March to the first Sunday of November.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.errors import InvalidInput
from parley.sla.business_hours import (
    BusinessHours,
    NoOpenTime,
    add_business_seconds,
    business_seconds_between,
    check_business_hours,
    is_open,
    next_open,
)

H = 3600
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WORKDAYS, "sat", "sun")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def hours(
    tz: str = "Europe/London",
    days: tuple[str, ...] = WORKDAYS,
    interval: tuple[str, str] = ("09:00", "17:00"),
    holidays: list[Any] | None = None,
) -> BusinessHours:
    return BusinessHours.model_validate(
        {"timezone": tz, "weekly": {d: [list(interval)] for d in days}, "holidays": holidays or []}
    )


NINE_TO_FIVE = hours()


# --- plain weekdays (January: London is on GMT, local time = UTC) ---------------------------------


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        (utc(2024, 1, 10, 10), 2 * H, utc(2024, 1, 10, 12)),  # Wed, inside the day
        (utc(2024, 1, 10, 16), 2 * H, utc(2024, 1, 11, 10)),  # 1 h Wed + 1 h Thu
        (utc(2024, 1, 10, 7), 1 * H, utc(2024, 1, 10, 10)),  # before opening: from 09:00
        (utc(2024, 1, 10, 16), 1 * H, utc(2024, 1, 10, 17)),  # used up at closing: due at 17:00
        (utc(2024, 1, 10, 18), 1 * H, utc(2024, 1, 11, 10)),  # after closing: next morning
        (utc(2024, 1, 12, 16, 30), 1 * H, utc(2024, 1, 15, 9, 30)),  # Fri -> Mon
        (utc(2024, 1, 13, 12), 30 * 60, utc(2024, 1, 15, 9, 30)),  # Saturday -> Mon
        (utc(2024, 1, 10, 10), 0, utc(2024, 1, 10, 10)),
        (utc(2024, 1, 13, 12), 0, utc(2024, 1, 13, 12)),  # nothing to add, even when closed
    ],
)
def test_add_on_weekdays(start: datetime, seconds: int, due: datetime) -> None:
    assert add_business_seconds(NINE_TO_FIVE, start, seconds) == due


@pytest.mark.parametrize(
    ("a", "b", "seconds"),
    [
        (utc(2024, 1, 10, 10), utc(2024, 1, 10, 12), 2 * H),
        (utc(2024, 1, 10, 0), utc(2024, 1, 11, 0), 8 * H),
        (utc(2024, 1, 12, 16), utc(2024, 1, 15, 10), 2 * H),  # across the weekend
        (utc(2024, 1, 8), utc(2024, 1, 15), 5 * 8 * H),  # one week
        (utc(2024, 1, 15, 10), utc(2024, 1, 12, 16), -2 * H),  # reversed: negative
        (utc(2024, 1, 13), utc(2024, 1, 14), 0),
    ],
)
def test_between_on_weekdays(a: datetime, b: datetime, seconds: int) -> None:
    assert business_seconds_between(NINE_TO_FIVE, a, b) == seconds


def test_open_and_next_open() -> None:
    assert not is_open(NINE_TO_FIVE, utc(2024, 1, 10, 8, 59, 59))
    assert is_open(NINE_TO_FIVE, utc(2024, 1, 10, 9))  # intervals are [start, end)
    assert not is_open(NINE_TO_FIVE, utc(2024, 1, 10, 17))
    assert not is_open(NINE_TO_FIVE, utc(2024, 1, 13, 12))
    assert next_open(NINE_TO_FIVE, utc(2024, 1, 10, 12)) == utc(2024, 1, 10, 12)
    assert next_open(NINE_TO_FIVE, utc(2024, 1, 10, 17)) == utc(2024, 1, 11, 9)
    assert next_open(NINE_TO_FIVE, utc(2024, 1, 12, 20)) == utc(2024, 1, 15, 9)


def test_long_target_thirty_business_days() -> None:
    # Mon 8 Jan 09:00 + 30 days of 8 h = six whole weeks: used up Fri 16 Feb at closing.
    assert add_business_seconds(NINE_TO_FIVE, utc(2024, 1, 8, 9), 30 * 8 * H) == utc(
        2024, 2, 16, 17
    )
    # Mon 18 Mar (GMT) to Fri 26 Apr (BST): closing 17:00 BST is 16:00 UTC.
    assert add_business_seconds(NINE_TO_FIVE, utc(2024, 3, 18, 9), 30 * 8 * H) == utc(
        2024, 4, 26, 16
    )
    assert business_seconds_between(NINE_TO_FIVE, utc(2024, 3, 18), utc(2024, 4, 27)) == 240 * H


def test_year_end_with_new_years_day() -> None:
    h = hours(holidays=["2025-01-01"])
    # Tue 31 Dec 16:00: 1 h that day, Wed 1 Jan closed, 1 h on Thu 2 Jan.
    assert add_business_seconds(h, utc(2024, 12, 31, 16), 2 * H) == utc(2025, 1, 2, 10)
    assert business_seconds_between(h, utc(2024, 12, 31), utc(2025, 1, 3)) == 16 * H


# --- holidays -------------------------------------------------------------------------------------


def test_holiday_on_a_friday_pushes_to_monday() -> None:
    h = hours(holidays=[{"date": "2024-01-12", "name": "Founders' day"}])
    # Thu 11 Jan 16:00: 1 h Thu, Fri a holiday, weekend, 1 h Mon 15 Jan.
    assert add_business_seconds(h, utc(2024, 1, 11, 16), 2 * H) == utc(2024, 1, 15, 10)
    assert not is_open(h, utc(2024, 1, 12, 12))
    assert next_open(h, utc(2024, 1, 11, 17)) == utc(2024, 1, 15, 9)


def test_partial_day_holiday() -> None:
    h = hours(
        holidays=[
            {"date": "2024-12-24", "hours": [["09:00", "13:00"]]},
            "2024-12-25",
            "2024-12-26",
            {"date": "2024-12-28", "name": "stock-take", "hours": [["10:00", "12:00"]]},
        ]
    )
    # Tue 24 Dec 12:00: 1 h until 13:00; 25 and 26 closed; Fri 27 from 09:00.
    assert add_business_seconds(h, utc(2024, 12, 24, 12), 3 * H) == utc(2024, 12, 27, 11)
    assert not is_open(h, utc(2024, 12, 24, 14))
    assert business_seconds_between(h, utc(2024, 12, 24), utc(2024, 12, 25)) == 4 * H
    # A holiday can open a Saturday that is otherwise closed.
    assert next_open(h, utc(2024, 12, 27, 18)) == utc(2024, 12, 28, 10)
    assert add_business_seconds(h, utc(2024, 12, 27, 16), 2 * H) == utc(2024, 12, 28, 11)


# --- overnight shifts -----------------------------------------------------------------------------

# Night shifts 22:00-06:00 starting Monday to Friday evening, in New York (EST in January).
NIGHTS = BusinessHours.model_validate(
    {
        "timezone": "America/New_York",
        "weekly": {
            **{d: [["22:00", "24:00"]] for d in ("mon",)},
            **{d: [["00:00", "06:00"], ["22:00", "24:00"]] for d in ("tue", "wed", "thu", "fri")},
            "sat": [["00:00", "06:00"]],
        },
    }
)


def test_overnight_shift() -> None:
    # Mon 8 Jan 23:00 EST (Tue 04:00 UTC) + 2 h runs through midnight: Tue 01:00 EST.
    assert add_business_seconds(NIGHTS, utc(2024, 1, 9, 4), 2 * H) == utc(2024, 1, 9, 6)
    # Tue 05:00 EST (10:00 UTC) + 2 h: 1 h to 06:00, then Tue 22:00 EST (Wed 03:00 UTC) + 1 h.
    assert add_business_seconds(NIGHTS, utc(2024, 1, 9, 10), 2 * H) == utc(2024, 1, 10, 4)
    # Sat 05:30 EST + 1 h: 30 min Saturday, then Mon 22:00 EST (Tue 03:00 UTC) + 30 min.
    assert add_business_seconds(NIGHTS, utc(2024, 1, 13, 10, 30), H) == utc(2024, 1, 16, 3, 30)
    assert is_open(NIGHTS, utc(2024, 1, 13, 5, 30))  # Sat 00:30 EST, Friday night's shift
    assert not is_open(NIGHTS, utc(2024, 1, 14, 5, 30))  # Sun 00:30 EST
    # Mon 8 Jan 00:00 EST to Mon 15 Jan 00:00 EST: five 8-hour nights.
    assert business_seconds_between(NIGHTS, utc(2024, 1, 8, 5), utc(2024, 1, 15, 5)) == 40 * H


# --- DST ------------------------------------------------------------------------------------------

EVERY_DAY_LONDON = hours(days=ALL_DAYS)
EVERY_DAY_NEW_YORK = hours(tz="America/New_York", days=ALL_DAYS)


def test_london_nine_to_five_is_eight_hours_on_both_change_days() -> None:
    # Sun 31 Mar 2024, clocks forward at 01:00 UTC: 09:00-17:00 BST is 08:00-16:00 UTC.
    assert business_seconds_between(EVERY_DAY_LONDON, utc(2024, 3, 31), utc(2024, 4, 1)) == 8 * H
    assert next_open(EVERY_DAY_LONDON, utc(2024, 3, 30, 17)) == utc(2024, 3, 31, 8)
    # Sat 30 Mar 16:00 GMT + 2 h: 1 h Saturday, then Sunday 09:00 BST (08:00 UTC) + 1 h.
    assert add_business_seconds(EVERY_DAY_LONDON, utc(2024, 3, 30, 16), 2 * H) == utc(
        2024, 3, 31, 9
    )
    # Sun 27 Oct 2024, clocks back at 01:00 UTC: 09:00-17:00 GMT is 09:00-17:00 UTC.
    assert business_seconds_between(EVERY_DAY_LONDON, utc(2024, 10, 27), utc(2024, 10, 28)) == 8 * H
    # Sat 26 Oct 15:00 UTC (16:00 BST) + 2 h: 1 h Saturday, then Sunday 09:00 GMT + 1 h.
    assert add_business_seconds(EVERY_DAY_LONDON, utc(2024, 10, 26, 15), 2 * H) == utc(
        2024, 10, 27, 10
    )


def test_new_york_nine_to_five_on_both_change_days() -> None:
    # Sun 10 Mar 2024: 09:00 EDT = 13:00 UTC, the day before 09:00 EST = 14:00 UTC.
    assert next_open(EVERY_DAY_NEW_YORK, utc(2024, 3, 9, 23)) == utc(2024, 3, 10, 13)
    assert business_seconds_between(EVERY_DAY_NEW_YORK, utc(2024, 3, 10), utc(2024, 3, 11)) == 8 * H
    # Sat 9 Mar 16:00 EST (21:00 UTC) + 2 h: 1 h Saturday, Sunday 09:00 EDT (13:00 UTC) + 1 h.
    assert add_business_seconds(EVERY_DAY_NEW_YORK, utc(2024, 3, 9, 21), 2 * H) == utc(
        2024, 3, 10, 14
    )
    # Sun 3 Nov 2024: 09:00 EST = 14:00 UTC.
    assert next_open(EVERY_DAY_NEW_YORK, utc(2024, 11, 3, 0)) == utc(2024, 11, 3, 14)
    assert business_seconds_between(EVERY_DAY_NEW_YORK, utc(2024, 11, 3), utc(2024, 11, 4)) == 8 * H


def test_a_whole_day_is_23_or_25_hours_on_change_days() -> None:
    london = hours(days=ALL_DAYS, interval=("00:00", "24:00"))
    # Local midnight to midnight: 31 Mar 00:00 GMT to 1 Apr 00:00 BST (31 Mar 23:00 UTC).
    assert business_seconds_between(london, utc(2024, 3, 31), utc(2024, 3, 31, 23)) == 23 * H
    # 27 Oct 00:00 BST (26 Oct 23:00 UTC) to 28 Oct 00:00 GMT.
    assert business_seconds_between(london, utc(2024, 10, 26, 23), utc(2024, 10, 28)) == 25 * H


def test_interval_inside_the_skipped_hour_is_empty_that_day() -> None:
    # London skips 01:00-02:00 on Sun 31 Mar 2024; next Sunday 01:00 BST is 00:00 UTC.
    h = hours(days=("sun",), interval=("01:00", "01:45"))
    assert next_open(h, utc(2024, 3, 30, 12)) == utc(2024, 4, 7, 0)
    assert business_seconds_between(h, utc(2024, 3, 30), utc(2024, 4, 1)) == 0


def test_interval_straddling_the_skipped_hour_opens_when_clocks_jump() -> None:
    h = hours(days=("sun",), interval=("01:30", "03:00"))
    # 01:30 does not exist: open from the jump (01:00 UTC, 02:00 BST) to 03:00 BST (02:00 UTC).
    assert not is_open(h, utc(2024, 3, 31, 0, 59))
    assert is_open(h, utc(2024, 3, 31, 1))
    assert next_open(h, utc(2024, 3, 30)) == utc(2024, 3, 31, 1)
    assert business_seconds_between(h, utc(2024, 3, 31), utc(2024, 4, 1)) == H
    # A normal Sunday: 01:30-03:00 GMT, 90 minutes.
    assert business_seconds_between(h, utc(2024, 3, 24), utc(2024, 3, 25)) == 90 * 60
    # New York skips 02:00-03:00 on Sun 10 Mar: 02:30-04:00 opens at 03:00 EDT (07:00 UTC).
    ny = hours(tz="America/New_York", days=("sun",), interval=("02:30", "04:00"))
    assert next_open(ny, utc(2024, 3, 10)) == utc(2024, 3, 10, 7)
    assert business_seconds_between(ny, utc(2024, 3, 10), utc(2024, 3, 11)) == H


def test_repeated_hour_reads_as_its_first_occurrence() -> None:
    # Sun 27 Oct 2024: 01:00-02:00 happens twice in London. 01:30 is the first one, 00:30 UTC.
    late = hours(days=("sun",), interval=("01:30", "03:00"))
    assert next_open(late, utc(2024, 10, 26, 12)) == utc(2024, 10, 27, 0, 30)
    assert business_seconds_between(late, utc(2024, 10, 26), utc(2024, 10, 28)) == 150 * 60
    early = hours(days=("sun",), interval=("00:00", "01:30"))
    # 00:00 BST (26 Oct 23:00 UTC) to the first 01:30 (00:30 UTC).
    assert business_seconds_between(early, utc(2024, 10, 26), utc(2024, 10, 28)) == 90 * 60


# --- 24/7, errors, validation ---------------------------------------------------------------------


def test_empty_schedule_is_always_open_in_utc() -> None:
    h = check_business_hours({})
    assert h.timezone == "UTC"
    assert is_open(h, utc(2024, 1, 13, 3))
    assert add_business_seconds(h, utc(2024, 1, 13, 3), 30 * 86400) == utc(2024, 2, 12, 3)
    assert business_seconds_between(h, utc(2024, 1, 1), utc(2025, 1, 1)) == 366 * 86400


def test_results_are_utc_whatever_the_input_zone() -> None:
    paris = datetime(2024, 1, 10, 11, tzinfo=ZoneInfo("Europe/Paris"))  # 10:00 UTC
    due = add_business_seconds(NINE_TO_FIVE, paris, H)
    assert due == utc(2024, 1, 10, 11)
    assert due.tzinfo is UTC
    assert next_open(NINE_TO_FIVE, paris).tzinfo is UTC


def test_naive_datetimes_and_negative_seconds_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(NINE_TO_FIVE, datetime(2024, 1, 10, 10))
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(NINE_TO_FIVE, utc(2024, 1, 10), -1)


def test_no_open_time_within_a_year_raises() -> None:
    # Open on Mondays only, and every Monday from 6 Jan 2025 to 12 Jan 2026 is a holiday.
    mondays = [str(date(2025, 1, 6) + timedelta(weeks=n)) for n in range(54)]
    h = hours(days=("mon",), holidays=mondays)
    with pytest.raises(NoOpenTime):
        next_open(h, utc(2025, 1, 1))
    with pytest.raises(NoOpenTime):
        add_business_seconds(h, utc(2025, 1, 1), 1)
    assert business_seconds_between(h, utc(2025, 1, 1), utc(2026, 1, 13)) == 0
    # Monday 19 Jan 2026 is open again.
    assert next_open(h, utc(2025, 6, 1)) == utc(2026, 1, 19, 9)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "IANA time zone"),
        ({"weekly": {"mon": [["17:00", "09:00"]]}}, "weekly.mon.0", "22:00|24:00"),
        ({"weekly": {"mon": [["22:00", "06:00"]]}}, "weekly.mon.0", "22:00-24:00 and 00:00-06:00"),
        ({"weekly": {"mon": [["09:00", "09:00"]]}}, "weekly.mon.0", "does not end after"),
        ({"weekly": {"mon": [["24:00", "24:00"]]}}, "weekly.mon.0", "does not end after"),
        ({"weekly": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "weekly.mon", "overlap"),
        ({"weekly": {"mon": [["9:00", "17:00"]]}}, "weekly.mon.0", "HH:MM"),
        ({"weekly": {"mon": [["09:00", "24:30"]]}}, "weekly.mon.0", "HH:MM"),
        ({"weekly": {"monday": [["09:00", "17:00"]]}}, "weekly.monday.[key]", "mon"),
        ({"weekly": {"sat": [], "sun": []}}, "weekly", "24/7"),
        ({"holidays": ["2024-12-25", {"date": "2024-12-25"}]}, "holidays", "twice"),
        (
            {"holidays": [{"date": "2024-12-24", "hours": [["13:00", "09:00"]]}]},
            "holidays.0.hours.0",
            "",
        ),
        ({"opening": {}}, "opening", "Extra inputs"),
    ],
)
def test_invalid_schedules_are_refused(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_business_hours(data)
    assert field in caught.value.fields
    assert any(part in caught.value.fields[field] for part in message.split("|"))


def test_valid_schedule_is_normalised() -> None:
    h = check_business_hours(
        {
            "timezone": "Asia/Kolkata",
            "weekly": {"mon": [["13:00", "24:00"], ["00:00", "09:00"], ["09:00", "13:00"]]},
            "holidays": ["2024-12-25", {"date": "2024-01-26", "name": "Republic Day"}],
        }
    )
    dumped = h.model_dump(mode="json")
    assert dumped["weekly"]["mon"] == [["00:00", "09:00"], ["09:00", "13:00"], ["13:00", "24:00"]]
    assert [d["date"] for d in dumped["holidays"]] == ["2024-01-26", "2024-12-25"]
    assert BusinessHours.model_validate(dumped) == h
    # Touching intervals make one whole Monday: Mon 8 Jan 00:00 IST is Sun 7 Jan 18:30 UTC.
    assert business_seconds_between(h, utc(2024, 1, 7), utc(2024, 1, 9)) == 24 * H
    assert next_open(h, utc(2024, 1, 6)) == utc(2024, 1, 7, 18, 30)


# --- properties -----------------------------------------------------------------------------------

ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # changes at midnight
    "Asia/Kolkata",
    "Pacific/Chatham",
)


@st.composite
def day_intervals(draw: st.DrawFn) -> list[list[str]]:
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if b > a]
    return [
        [f"{a * 15 // 60:02}:{a * 15 % 60:02}", f"{b * 15 // 60:02}:{b * 15 % 60:02}"]
        for a, b in pairs
    ]


@st.composite
def schedules(draw: st.DrawFn) -> BusinessHours:
    weekly = {
        d: draw(day_intervals()) for d in draw(st.sets(st.sampled_from(ALL_DAYS), min_size=1))
    }
    if not any(weekly.values()):
        weekly["wed"] = [["10:00", "11:00"]]
    holiday_dates = draw(st.sets(st.dates(date(2023, 1, 1), date(2026, 12, 31)), max_size=8))
    holidays = [{"date": str(d), "hours": draw(day_intervals())} for d in holiday_dates]
    return BusinessHours.model_validate(
        {"timezone": draw(st.sampled_from(ZONES)), "weekly": weekly, "holidays": holidays}
    )


instants = st.datetimes(datetime(2023, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)).map(
    lambda at: at.replace(microsecond=0)
)
amounts = st.integers(0, 40 * 86400)


@settings(deadline=None)
@given(schedules(), instants, amounts)
def test_between_undoes_add(h: BusinessHours, start: datetime, seconds: int) -> None:
    due = add_business_seconds(h, start, seconds)
    assert due >= start
    assert business_seconds_between(h, start, due) == seconds
    if seconds:
        assert is_open(h, due - timedelta(microseconds=1))  # the last second counted was open


@settings(deadline=None)
@given(schedules(), instants, amounts, amounts)
def test_add_is_monotonic(h: BusinessHours, start: datetime, s1: int, s2: int) -> None:
    small, large = sorted((s1, s2))
    assert add_business_seconds(h, start, small) <= add_business_seconds(h, start, large)
    later = start + timedelta(seconds=s2)
    assert add_business_seconds(h, start, s1) <= add_business_seconds(h, later, s1)


@settings(deadline=None)
@given(schedules(), instants, amounts, amounts)
def test_between_adds_up_and_is_bounded(h: BusinessHours, a: datetime, s1: int, s2: int) -> None:
    b, c = a + timedelta(seconds=s1), a + timedelta(seconds=s1 + s2)
    ab, bc = business_seconds_between(h, a, b), business_seconds_between(h, b, c)
    assert 0 <= ab <= s1
    assert ab + bc == business_seconds_between(h, a, c)
    assert business_seconds_between(h, b, a) == -ab


@settings(deadline=None)
@given(schedules(), instants)
def test_next_open_is_open_and_nothing_is_skipped(h: BusinessHours, at: datetime) -> None:
    opens = next_open(h, at)
    assert is_open(h, opens)
    assert business_seconds_between(h, at, opens) == 0
    assert (opens == at) == is_open(h, at)


@settings(deadline=None)
@given(st.sampled_from(ZONES), instants, amounts)
def test_around_the_clock_is_wall_clock_arithmetic(
    zone: str, start: datetime, seconds: int
) -> None:
    h = hours(tz=zone, days=ALL_DAYS, interval=("00:00", "24:00"))
    end = start + timedelta(seconds=seconds)
    assert add_business_seconds(h, start, seconds) == end
    assert business_seconds_between(h, start, end) == seconds
    assert is_open(h, start)
