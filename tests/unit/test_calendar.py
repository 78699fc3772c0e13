"""DOMAIN.md check values: working days with holidays and make-up days, Asia/Shanghai."""
from datetime import UTC, datetime, timedelta

import pytest

from engine import calendar
from tests.conftest import at


@pytest.mark.parametrize("received, n, last_day", [
    ("2026-02-13 15:00", 1, "2026-02-14"),  # the make-up Saturday is a working day
    ("2026-02-13 15:00", 3, "2026-02-25"),
    ("2026-02-13 15:00", 7, "2026-03-02"),
    ("2026-09-30 10:00", 1, "2026-10-08"),
    ("2026-09-30 10:00", 3, "2026-10-10"),  # make-up Saturday after National Day
])
def test_working_deadline_check_values(received, n, last_day):
    deadline = calendar.working_deadline(at(received), n)
    assert deadline.due_at == at(f"{last_day} 00:00") + timedelta(days=1)
    assert deadline.provisional is False


def test_receipt_late_at_night_utc_counts_from_the_shanghai_day():
    # 2026-02-12 17:00 UTC is already Fri 02-13 01:00 in Shanghai.
    assert calendar.working_deadline(datetime(2026, 2, 12, 17, 0, tzinfo=UTC), 1).due_at == at("2026-02-15 00:00")


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day():
    # 7 days after 2026-09-26 is 10-03, inside National Day; the next working day is 10-08.
    assert calendar.calendar_deadline(at("2026-09-26 09:00"), 7).due_at == at("2026-10-09 00:00")
    assert calendar.calendar_deadline(at("2026-02-24 09:00"), 7).due_at == at("2026-03-04 00:00")


def test_year_without_official_schedule_is_counted_monday_to_friday_and_marked_provisional():
    deadline = calendar.working_deadline(at("2026-12-30 10:00"), 3)
    assert deadline.due_at == at("2027-01-05 00:00")  # Thu 12-31, Fri 01-01, Mon 01-04 on the Mon–Fri rule
    assert deadline.provisional is True
