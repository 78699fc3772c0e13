"""Working days under Chinese law: statutory holidays, make-up workdays, deadlines."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar

from .clock import SHANGHAI


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool  # a year without an official holiday schedule was counted Monday–Friday


def is_workday(day: date) -> tuple[bool, bool]:
    """Whether `day` is a working day, and whether that answer is provisional (year not covered)."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        return day.weekday() < 5, True


def _end_of(day: date) -> datetime:
    # DOMAIN: a deadline ends at 24:00 of its last day (Civil Code art. 203), Asia/Shanghai.
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def working_deadline(received: datetime, n: int) -> Deadline:
    """End of the n-th working day after the day of receipt (Civil Code art. 201; AL Law art. 82)."""
    if n < 0:
        raise ValueError(f"working days must not be negative: {n}")
    day = received.astimezone(SHANGHAI).date()
    provisional = False
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        working, unsure = is_workday(day)
        provisional |= unsure
        counted += working
    return Deadline(_end_of(day), provisional)


def calendar_deadline(received: datetime, n: int) -> Deadline:
    """n calendar days after receipt; a last day that is not a working day moves to the next one."""
    if n < 0:
        raise ValueError(f"calendar days must not be negative: {n}")
    day = received.astimezone(SHANGHAI).date() + timedelta(days=n)
    working, provisional = is_workday(day)
    while not working:
        day += timedelta(days=1)
        working, unsure = is_workday(day)
        provisional |= unsure
    return Deadline(_end_of(day), provisional)
