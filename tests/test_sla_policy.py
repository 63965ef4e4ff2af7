"""SLA policies: targets per priority, due times, pausing, breaches, service level.

Pure: no database, so no storage fixtures. The business hours are 09:00-17:00 Monday to Friday in
London; the dates are in January 2024, when London is on GMT (local time = UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.errors import InvalidInput
from parley.models.enums import Priority
from parley.sla.business_hours import BusinessHours, add_business_seconds
from parley.sla.policy import (
    Due,
    ServiceLevel,
    SlaPolicy,
    Targets,
    breached,
    check_sla_policy,
    due_times,
    next_response_due,
    pause,
    resolution_paused,
    resume,
    service_level,
    targets_for,
)

H = 3600
HOURS = BusinessHours.model_validate(
    {
        "timezone": "Europe/London",
        "weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def policy(**data: Any) -> SlaPolicy:
    return check_sla_policy(data)


STANDARD = policy(
    first_response_s=H,
    next_response_s=4 * H,
    resolution_s=8 * H,
    by_priority={"urgent": {"first_response_s": 900}, "low": {"resolution_s": 40 * H}},
    business_hours_only=True,
    pause_when_waiting_on_customer=True,
)


# --- the format -----------------------------------------------------------------------------------


def test_empty_policy_measures_nothing() -> None:
    empty = check_sla_policy({})
    assert targets_for(empty, Priority.urgent) == Targets()
    assert due_times(empty, HOURS, Priority.normal, started_at=utc(2024, 1, 12)) == Due(None, None)
    assert (
        next_response_due(empty, HOURS, Priority.high, customer_wrote_at=utc(2024, 1, 12)) is None
    )


def test_priority_overrides_only_what_they_set() -> None:
    assert targets_for(STANDARD, Priority.normal) == Targets(
        first_response_s=H, next_response_s=4 * H, resolution_s=8 * H
    )
    assert targets_for(STANDARD, Priority.urgent) == Targets(
        first_response_s=900, next_response_s=4 * H, resolution_s=8 * H
    )
    assert targets_for(STANDARD, Priority.low) == Targets(
        first_response_s=H, next_response_s=4 * H, resolution_s=40 * H
    )


def test_a_target_for_some_priorities_only() -> None:
    p = policy(by_priority={"urgent": {"resolution_s": 2 * H}})
    assert targets_for(p, Priority.urgent).resolution_s == 2 * H
    assert targets_for(p, Priority.normal).resolution_s is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_response_s": 0}, "first_response_s"),
        ({"first_response_s": -60}, "first_response_s"),
        ({"first_response_s": 90.5}, "first_response_s"),
        ({"first_response_s": "300"}, "first_response_s"),
        ({"first_response_s": True}, "first_response_s"),
        ({"resolution_s": 400 * 86400}, "resolution_s"),
        ({"by_priority": {"critical": {"first_response_s": 60}}}, "by_priority.critical.[key]"),
        ({"by_priority": {"urgent": {"first_response": 60}}}, "by_priority.urgent.first_response"),
        ({"business_hours_only": "sometimes"}, "business_hours_only"),
        ({"breach_action": "email"}, "breach_action"),
    ],
)
def test_invalid_policies_are_refused(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_sla_policy(data)
    assert field in caught.value.fields


def test_policy_round_trips_through_json() -> None:
    stored = STANDARD.model_dump(mode="json", exclude_defaults=True)
    assert stored["by_priority"] == {
        "urgent": {"first_response_s": 900},
        "low": {"resolution_s": 144000},
    }
    assert check_sla_policy(stored) == STANDARD


# --- due times ------------------------------------------------------------------------------------


def test_due_times_in_business_hours() -> None:
    # Fri 12 Jan 16:00: first response 1 h -> 17:00; resolution 8 h -> 1 h Fri + 7 h Mon.
    assert due_times(STANDARD, HOURS, Priority.normal, started_at=utc(2024, 1, 12, 16)) == Due(
        first_response=utc(2024, 1, 12, 17), resolution=utc(2024, 1, 15, 16)
    )
    # Urgent: 15 minutes.
    due = due_times(STANDARD, HOURS, Priority.urgent, started_at=utc(2024, 1, 12, 16))
    assert due.first_response == utc(2024, 1, 12, 16, 15)
    # Low: 40 h = five working days from Fri 16:00 -> the next Fri 16:00.
    due = due_times(STANDARD, HOURS, Priority.low, started_at=utc(2024, 1, 12, 16))
    assert due.resolution == utc(2024, 1, 19, 16)
    # Arriving on Saturday: the clocks start Monday 09:00.
    due = due_times(STANDARD, HOURS, Priority.normal, started_at=utc(2024, 1, 13, 11))
    assert due == Due(utc(2024, 1, 15, 10), utc(2024, 1, 15, 17))


def test_due_times_in_calendar_time_ignore_business_hours() -> None:
    p = policy(first_response_s=H, resolution_s=86400)
    assert due_times(p, HOURS, Priority.normal, started_at=utc(2024, 1, 12, 16)) == Due(
        first_response=utc(2024, 1, 12, 17), resolution=utc(2024, 1, 13, 16)
    )


def test_holiday_on_a_friday_pushes_the_due_time_to_monday() -> None:
    hours = BusinessHours.model_validate(
        {**HOURS.model_dump(mode="json"), "holidays": ["2024-01-12"]}
    )
    # Thu 11 Jan 16:30: 30 min Thu, Fri a holiday, 30 min Mon.
    due = due_times(STANDARD, hours, Priority.normal, started_at=utc(2024, 1, 11, 16, 30))
    assert due.first_response == utc(2024, 1, 15, 9, 30)


def test_next_response_due() -> None:
    # Customer writes Fri 16:30: 30 min Fri + 3 h 30 min Mon.
    at = utc(2024, 1, 12, 16, 30)
    assert next_response_due(STANDARD, HOURS, Priority.normal, customer_wrote_at=at) == utc(
        2024, 1, 15, 12, 30
    )
    calendar = policy(next_response_s=4 * H)
    assert next_response_due(calendar, HOURS, Priority.normal, customer_wrote_at=at) == utc(
        2024, 1, 12, 20, 30
    )


# --- pausing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "agent", "paused"),
    [
        (utc(2024, 1, 10, 10), utc(2024, 1, 10, 11), True),  # agent answered last
        (utc(2024, 1, 10, 12), utc(2024, 1, 10, 11), False),  # customer wrote again
        (utc(2024, 1, 10, 10), None, False),  # nobody answered yet
        (None, utc(2024, 1, 10, 11), True),  # outbound: the agent wrote first
        (None, None, False),
    ],
)
def test_resolution_paused(customer: datetime | None, agent: datetime | None, paused: bool) -> None:
    got = resolution_paused(
        STANDARD, last_customer_message_at=customer, last_agent_message_at=agent
    )
    assert got is paused


def test_policy_without_pausing_never_pauses() -> None:
    p = policy(resolution_s=H)
    assert not resolution_paused(
        p, last_customer_message_at=utc(2024, 1, 10, 10), last_agent_message_at=utc(2024, 1, 10, 11)
    )


def test_pause_and_resume_in_business_hours() -> None:
    # Due Mon 15 Jan 16:00, paused Fri 12 Jan 16:00: 1 h Fri + 7 h Mon left.
    left = pause(STANDARD, HOURS, due=utc(2024, 1, 15, 16), now=utc(2024, 1, 12, 16))
    assert left == 8 * H
    # Resumed Wed 17 Jan 10:00: 7 h until closing, then 1 h on Thursday.
    assert resume(STANDARD, HOURS, remaining_s=left, now=utc(2024, 1, 17, 10)) == utc(
        2024, 1, 18, 10
    )
    # Resumed on a Sunday: counting starts Monday 09:00.
    assert resume(STANDARD, HOURS, remaining_s=H, now=utc(2024, 1, 21, 12)) == utc(2024, 1, 22, 10)


def test_pause_and_resume_in_calendar_time() -> None:
    p = policy(resolution_s=86400, pause_when_waiting_on_customer=True)
    left = pause(p, HOURS, due=utc(2024, 1, 13, 16), now=utc(2024, 1, 12, 16))
    assert left == 86400
    assert resume(p, HOURS, remaining_s=left, now=utc(2024, 1, 20)) == utc(2024, 1, 21)


def test_pausing_after_the_due_time_leaves_nothing() -> None:
    assert pause(STANDARD, HOURS, due=utc(2024, 1, 10, 12), now=utc(2024, 1, 10, 15)) == 0
    now = utc(2024, 1, 11, 11)
    assert resume(STANDARD, HOURS, remaining_s=0, now=now) == now


@settings(deadline=None)
@given(
    st.datetimes(datetime(2023, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.integers(1, 30 * 8 * H),
    st.floats(0, 1),
)
def test_pausing_and_resuming_at_once_changes_nothing(
    start: datetime, target: int, fraction: float
) -> None:
    start = start.replace(microsecond=0)
    due = add_business_seconds(HOURS, start, target)
    now = start + timedelta(seconds=int((due - start).total_seconds() * fraction))
    left = pause(STANDARD, HOURS, due=due, now=now)
    assert resume(STANDARD, HOURS, remaining_s=left, now=now) == due


# --- breaches and service level -------------------------------------------------------------------


def test_breached() -> None:
    due = utc(2024, 1, 10, 12)
    assert not breached(due, due - timedelta(seconds=1))
    assert not breached(due, due)  # met exactly on time
    assert breached(due, due + timedelta(seconds=1))
    assert not breached(None, due)  # no target, no breach


def test_service_level() -> None:
    assert service_level([]) == ServiceLevel(0, 0, None, None, None)
    got = service_level([(10, True), (50, False), (30, True), (70, False), (15, True)])
    assert got == ServiceLevel(
        offered=5, within_target=3, ratio=0.6, average_wait_s=35.0, longest_wait_s=70
    )
    assert service_level(iter([(5.5, True)])).ratio == 1.0
