"""Complaint deadlines in working days (Housing Ombudsman Complaint Handling Code), checked
against dates worked out by hand on a calendar."""

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from helpbot.desk.complaints_clock import (
    add_working_days,
    is_working_day,
    local_day,
    stage_deadlines,
    working_days_between,
)


def test_a_complaint_on_christmas_eve_skips_the_bank_holidays_and_the_weekend() -> None:
    # Thu 24 Dec 2026. Fri 25 (Christmas), Sat 26, Sun 27, Mon 28 (Boxing Day
    # substitute) are not working days: Tue 29 is day 1 ... Tue 5 Jan is day 5
    # (Fri 1 Jan is New Year's Day). Ten more from there: Tue 19 Jan 2027.
    deadlines = stage_deadlines(1, date(2026, 12, 24))
    assert deadlines.acknowledge_by == date(2027, 1, 5)
    assert deadlines.respond_by == date(2027, 1, 19)


def test_a_complaint_before_easter_skips_good_friday_and_easter_monday() -> None:
    # Thu 25 Mar 2027; Fri 26 Good Friday, Mon 29 Easter Monday.
    # Tue 30 (1), Wed 31 (2), Thu 1 Apr (3), Fri 2 (4), Mon 5 (5).
    assert stage_deadlines(1, date(2027, 3, 25)).acknowledge_by == date(2027, 4, 5)


def test_stage_two_response_runs_twenty_working_days_from_acknowledgement() -> None:
    # Acknowledged Mon 24 Aug 2026; Mon 31 Aug is the late summer bank holiday.
    deadlines = stage_deadlines(2, date(2026, 8, 21), acknowledged=date(2026, 8, 24))
    assert deadlines.respond_by == date(2026, 9, 22)
    assert deadlines.acknowledge_by == date(2026, 8, 28)


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day (substitute)
    assert is_working_day(date(2026, 11, 24))


def test_a_late_evening_complaint_counts_on_that_day_in_england() -> None:
    # 23:30 UTC on 30 Jun is 00:30 BST on 1 Jul.
    assert local_day(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 40))
def test_adding_working_days_lands_on_a_working_day_the_right_distance_away(
    start: date, days: int
) -> None:
    end = add_working_days(start, days)
    assert working_days_between(start, end) == days
    if days:
        assert is_working_day(end)
