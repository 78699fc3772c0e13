"""DOMAIN.md check values: working days with holidays and make-up days, Asia/Shanghai."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from engine.timing import calendar, deadlines
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


def test_packaged_schedules_cover_2004_to_2026_and_not_2027():
    packaged = calendar.packaged()
    assert min(packaged.years) == 2004 and max(packaged.years) == 2026
    assert packaged.is_workday(date(2026, 2, 14)) == (True, False)  # make-up Saturday
    assert packaged.is_workday(date(2026, 10, 1)) == (False, False)
    assert packaged.is_workday(date(2027, 1, 1)) == (True, True)  # Friday, year not loaded


def test_an_imported_year_is_official():
    days = dict(calendar.packaged().days) | {date(2027, 1, 1): calendar.HOLIDAY}
    imported = calendar.WorkCalendar(days, calendar.packaged().years | {2027})
    deadline = imported.working_deadline(at("2026-12-31 10:00"), 1)
    assert deadline == calendar.Deadline(at("2027-01-05 00:00"), False)  # Fri 01-01 off, Mon 01-04 counts


def test_close_of_business_ends_the_last_day_early():
    office = calendar.WorkCalendar(calendar.packaged().days, calendar.packaged().years, time(17, 30))
    assert office.working_deadline(at("2026-02-13 09:00"), 1).due_at == at("2026-02-14 17:30")
    assert office.calendar_deadline(at("2026-09-30 09:00"), 7).due_at == at("2026-10-08 17:30")


def test_a_date_chosen_by_a_person_that_is_a_holiday_ends_on_the_next_working_day():
    assert calendar.packaged().end_of_date(date(2026, 10, 3)) == at("2026-10-09 00:00")
    assert calendar.packaged().end_of_date(date(2026, 3, 20)) == at("2026-03-21 00:00")


@pytest.mark.parametrize("due, remind", [
    ("2026-02-15 00:00", "2026-02-14 00:00"),  # last day the make-up Saturday
    ("2026-10-09 00:00", "2026-10-08 00:00"),
    ("2026-10-04 00:00", "2026-09-30 00:00"),  # a date inside National Day: the last working day before it
    ("2026-03-03 17:30", "2026-03-03 00:00"),  # close of business
])
def test_reminder_is_due_at_the_start_of_the_last_working_day(due, remind):
    assert calendar.packaged().reminder_at(at(due)) == at(remind)


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="负数"):
        calendar.working_deadline(at("2026-02-13 09:00"), -1)


@pytest.mark.parametrize("now, card", [
    ("2026-02-13 10:00", "green"), ("2026-02-14 00:00", "yellow"), ("2026-02-14 23:59", "yellow"),
    ("2026-02-15 00:00", "red"), ("2026-03-01 00:00", "red"),
])
def test_cards(now, card):
    assert deadlines.card(at("2026-02-15 00:00"), at("2026-02-14 00:00"), at(now)) == card


def test_a_step_without_deadline_has_no_card():
    assert deadlines.card(None, None, at("2026-02-13 10:00")) is None


def test_a_deadline_that_ends_a_day_reads_as_that_day_24_00():
    from engine.timing.clock import deadline_text
    assert deadline_text("2026-03-21T00:00:00+08:00") == "2026-03-20 24:00"
    assert deadline_text("2026-03-01T00:00:00+08:00") == "2026-02-28 24:00"
    assert deadline_text("2026-03-20T16:00:00+00:00") == "2026-03-20 24:00"  # the same instant in UTC
    assert deadline_text("2026-03-20T17:30:00+08:00") == "2026-03-20 17:30"
    assert deadline_text(None) == ""


def test_absurd_day_counts_and_years_are_refused_clearly():
    from engine.errors import InvalidInput
    from engine.timing import holidays

    for count in (calendar.working_deadline, calendar.calendar_deadline):
        with pytest.raises(InvalidInput, match="超出范围"):
            count(at("2026-02-13 09:00"), 10**9)
        with pytest.raises(InvalidInput, match="超出范围"):
            count(datetime(9999, 12, 30, tzinfo=UTC), 5)
    with pytest.raises(InvalidInput, match="超出范围"):
        calendar.current().end_of_date(date(9999, 12, 31))
    with pytest.raises(InvalidInput, match="年份超出范围"):
        holidays.parse_csv(b"date,kind,name\n9999-12-31,holiday,x\n", "h.csv")
    assert calendar.working_deadline(at("2026-02-13 09:00"), calendar.MAX_DAYS).due_at.year < calendar.MAX_YEAR
