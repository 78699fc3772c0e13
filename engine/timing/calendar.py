"""Working days under Chinese law: statutory holidays, make-up workdays, deadlines.

Pure arithmetic over a `WorkCalendar` snapshot; the holiday table itself lives in `holidays.py`.
"""
import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

import chinese_calendar

from engine.errors import InvalidInput
from engine.timing.clock import SHANGHAI

HOLIDAY, WORKDAY = "holiday", "workday"
# Years a calendar or a deadline may concern, and the longest deadline: beyond them a count is a mistake
# (and would run past the last date Python can hold).
MIN_YEAR, MAX_YEAR = 1949, 2200
MAX_DAYS = 3660


class OutOfRange(InvalidInput, ValueError):
    """A year or a number of days no deadline or calendar can concern."""


def check_year(year: int, what: str = "年份") -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise OutOfRange(f"{what} {year} 超出范围 ({MIN_YEAR}–{MAX_YEAR})")
    return year


def _check_count(received: datetime, n: int, kind: str) -> None:
    if n < 0:
        raise OutOfRange(f"{kind}数不能为负数: {n}")
    if n > MAX_DAYS:
        raise OutOfRange(f"{kind}数 {n} 超出范围 (不超过 {MAX_DAYS})")
    check_year(received.year, "起算时间的年份")


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool  # a year without an official holiday schedule was counted Monday–Friday


@dataclass(frozen=True)
class WorkCalendar:
    """Holidays and make-up workdays of the loaded years; other days follow Monday–Friday."""

    days: Mapping[date, str] = field(default_factory=dict, hash=False)  # date -> HOLIDAY | WORKDAY
    years: frozenset[int] = frozenset()
    close_of_business: time | None = None  # None: 24:00 (Civil Code art. 203)
    revision: str = ""  # the stored revision this snapshot is (empty for the packaged schedules)

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """Whether `day` is a working day, and whether that answer is provisional (year not loaded)."""
        kind = self.days.get(day)
        if kind is not None:
            return kind == WORKDAY, False
        return day.weekday() < 5, day.year not in self.years

    def end_of(self, day: date) -> datetime:
        """When a deadline whose last day is `day` ends: close of business, else 24:00, Asia/Shanghai."""
        if self.close_of_business is None:
            return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)
        return datetime.combine(day, self.close_of_business, SHANGHAI)

    def working_deadline(self, received: datetime, n: int) -> Deadline:
        """End of the n-th working day after the day of receipt (Civil Code art. 201; AL Law art. 82)."""
        _check_count(received, n, "工作日")
        day = received.astimezone(SHANGHAI).date()
        provisional = False
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            working, unsure = self.is_workday(day)
            provisional |= unsure
            counted += working
        return Deadline(self.end_of(day), provisional)

    def calendar_deadline(self, received: datetime, n: int) -> Deadline:
        """n calendar days after receipt; a last day that is a holiday moves to the next working day
        (Civil Code art. 203)."""
        _check_count(received, n, "自然日")
        day = received.astimezone(SHANGHAI).date() + timedelta(days=n)
        working, provisional = self.is_workday(day)
        while not working:
            day += timedelta(days=1)
            working, unsure = self.is_workday(day)
            provisional |= unsure
        return Deadline(self.end_of(day), provisional)

    def end_of_date(self, day: date) -> datetime:
        """End of a day a person chose (an approved extension); a holiday moves it to the next working day."""
        check_year(day.year, "日期的年份")
        while not self.is_workday(day)[0]:
            day += timedelta(days=1)
        return self.end_of(day)

    def reminder_at(self, due: datetime) -> datetime:
        """Start of the last working day before `due`: from then on the step is due within a working day."""
        day = (due - timedelta(microseconds=1)).astimezone(SHANGHAI).date()
        for _ in range(60):
            if self.is_workday(day)[0]:
                break
            day -= timedelta(days=1)
        return datetime.combine(day, time(0), SHANGHAI)


@cache
def packaged() -> WorkCalendar:
    """The schedules published in the `chinese-calendar` package (the database's seed)."""
    days = {d: HOLIDAY for d in chinese_calendar.constants.holidays}
    days.update({d: WORKDAY for d in chinese_calendar.constants.workdays})
    years = frozenset(range(min(days).year, max(days).year + 1))
    return WorkCalendar(days, years)


_current: contextvars.ContextVar[WorkCalendar | None] = contextvars.ContextVar("zhunru_calendar", default=None)


def current() -> WorkCalendar:
    """The calendar of the command being run (set by `using`), else the packaged schedules."""
    return _current.get() or packaged()


@contextmanager
def using(calendar: WorkCalendar) -> Iterator[None]:
    token = _current.set(calendar)
    try:
        yield
    finally:
        _current.reset(token)


def working_deadline(received: datetime, n: int) -> Deadline:
    return current().working_deadline(received, n)


def calendar_deadline(received: datetime, n: int) -> Deadline:
    return current().calendar_deadline(received, n)
