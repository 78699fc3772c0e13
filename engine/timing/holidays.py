"""The holiday table: seeded from `chinese-calendar`, each new year imported from the State Council notice."""
import csv
import functools
import io
from collections import Counter
from datetime import date, datetime, time
from importlib.metadata import version

import chinese_calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import settings
from engine.errors import InvalidInput
from engine.store.models import CalendarDay, CalendarRevision, CalendarYear
from engine.timing.calendar import HOLIDAY, MAX_YEAR, MIN_YEAR, WORKDAY, WorkCalendar, check_year
from engine.timing.clock import SHANGHAI, local_iso

HEADER = ["date", "kind", "name"]
_KIND_TEXT = {HOLIDAY: "法定节假日", WORKDAY: "调休上班日"}
_WEEKDAYS = "一二三四五六日"


def _chinese_name(english: str) -> str:
    for holiday in chinese_calendar.constants.Holiday:
        if holiday.value == english:
            return holiday.chinese
    return english


def seed(session: Session, actor: str, now: datetime) -> list[int]:
    """Load every year the `chinese-calendar` package covers and the table lacks; returns those years."""
    loaded = set(session.scalars(select(CalendarYear.year)))
    days: dict[date, tuple[str, str]] = {}
    for day, name in chinese_calendar.constants.holidays.items():
        days[day] = (HOLIDAY, _chinese_name(name))
    for day, name in chinese_calendar.constants.workdays.items():
        days[day] = (WORKDAY, _chinese_name(name))
    years = sorted({d.year for d in days} - loaded)
    if not years:
        return []
    source = f"chinese-calendar {version('chinesecalendar')}"
    session.add_all(CalendarYear(year=y, source=source, loaded_at=now, loaded_by=actor) for y in years)
    session.add_all(CalendarDay(day=d, kind=kind, name=name) for d, (kind, name) in days.items()
                    if d.year in years)
    changed(session, actor, now)
    return years


Row = tuple[date, str, str]


def parse_csv(content: bytes, filename: str) -> list[Row]:
    """Rows of a `date,kind,name` file; every problem is named with its line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{filename}: 不是 UTF-8 编码的文本 (第 {exc.start + 1} 个字节)") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        raise InvalidInput(f"{filename} 第 1 行: 表头必须是 {','.join(HEADER)}")
    problems: list[str] = []
    parsed: list[Row] = []
    seen: dict[date, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"{filename} 第 {line} 行"
        if len(row) != 3:
            problems.append(f"{where}: 应有 3 列 (date,kind,name)，实有 {len(row)} 列")
            continue
        day_text, kind, name = (c.strip() for c in row)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            problems.append(f"{where}: 日期 '{day_text}' 无效，应为 YYYY-MM-DD")
            continue
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            problems.append(f"{where}: 日期 {day} 的年份超出范围 ({MIN_YEAR}–{MAX_YEAR})")
            continue
        if kind not in (HOLIDAY, WORKDAY):
            problems.append(f"{where}: 类型 '{kind}' 无效，应为 holiday (法定节假日) 或 workday (调休上班日)")
            continue
        if kind == WORKDAY and day.weekday() < 5:
            problems.append(f"{where}: {day} 是星期{_WEEKDAYS[day.weekday()]}，本来就是工作日，不能列为调休上班日")
            continue
        if not name:
            problems.append(f"{where}: 缺少名称 (例如 春节)")
            continue
        if day in seen:
            problems.append(f"{where}: 日期 {day} 与第 {seen[day]} 行重复")
            continue
        seen[day] = line
        parsed.append((day, kind, name))
    if problems:
        raise InvalidInput("\n".join(problems))
    if not parsed:
        raise InvalidInput(f"{filename}: 没有任何日期")
    return parsed


def import_year(session: Session, rows: list[Row], source: str, actor: str, now: datetime) -> int:
    """Make the notice's year exactly the rows given (a corrected notice replaces the old one).

    A notice may name days of the year before (e.g. 2022-12-31 in the 2023 notice); those are added
    to that year without replacing it. Returns the notice's year.
    """
    year = Counter(d.year for d, _, _ in rows).most_common(1)[0][0]
    if not 2000 <= year <= now.astimezone(SHANGHAI).year + 5:
        raise InvalidInput(f"{source}: 年份 {year} 不在可导入的范围内 (2000 至 {now.astimezone(SHANGHAI).year + 5})")
    session.execute(delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                              CalendarDay.day <= date(year, 12, 31)))
    session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    session.flush()
    session.add(CalendarYear(year=year, source=source, loaded_at=now, loaded_by=actor))
    for day, kind, name in rows:
        existing = session.get(CalendarDay, day) if day.year != year else None
        if existing is None:
            session.add(CalendarDay(day=day, kind=kind, name=name))
        else:
            existing.kind, existing.name = kind, name
    session.flush()
    changed(session, actor, now)
    return year


def _from_tables(session: Session, revision: str) -> WorkCalendar:
    days = {d: kind for d, kind in session.execute(select(CalendarDay.day, CalendarDay.kind))}
    years = frozenset(session.scalars(select(CalendarYear.year)))
    close = settings.values(session)["close_of_business"]
    return WorkCalendar(days, years, None if close == "24:00" else time.fromisoformat(close), revision)


def changed(session: Session, actor: str, now: datetime) -> WorkCalendar:
    """Record that holidays or close of business changed: a new revision, kept as a snapshot."""
    session.flush()
    calendar = _from_tables(session, settings.new_revision(session, settings.CALENDAR_REVISION, actor, now))
    session.add(CalendarRevision(
        token=calendar.revision, days={d.isoformat(): k for d, k in calendar.days.items()},
        years=sorted(calendar.years), created_at=now, created_by=actor,
        close_of_business=calendar.close_of_business.strftime("%H:%M") if calendar.close_of_business else "24:00"))
    return calendar


_cache: dict[str, WorkCalendar] = {}


def load(session: Session, stored_settings: dict[str, str] | None = None) -> WorkCalendar:
    """The working calendar as stored; reread only when its revision changed."""
    revision = (stored_settings or settings.values(session)).get(settings.CALENDAR_REVISION, "")
    cached = _cache.get(revision)
    if cached is not None and revision:
        return cached
    calendar = _from_tables(session, revision)
    _cache.clear()
    _cache[revision] = calendar
    return calendar


@functools.lru_cache(maxsize=64)
def _snapshot(token: str, days: tuple, years: tuple, close: str) -> WorkCalendar:
    return WorkCalendar({date.fromisoformat(d): k for d, k in days}, frozenset(years),
                        None if close == "24:00" else time.fromisoformat(close), token)


def at_revision(session: Session, token: str | None) -> WorkCalendar:
    """The calendar as it was at a recorded revision (for replay); the current one when unknown."""
    row = session.get(CalendarRevision, token) if token else None
    if row is None:
        return load(session)
    return _snapshot(row.token, tuple(sorted(row.days.items())), tuple(row.years), row.close_of_business)


def show(session: Session, year: int) -> dict:
    """One year's schedule as an administrator checks it against the notice."""
    check_year(year)
    row = session.get(CalendarYear, year)
    days = session.scalars(select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                     CalendarDay.day <= date(year, 12, 31))
                           .order_by(CalendarDay.day))
    return {
        "year": year, "loaded": row is not None,
        "source": row.source if row else None,
        "loaded_at": local_iso(row.loaded_at) if row else None, "loaded_by": row.loaded_by if row else None,
        "days": [{"date": d.day.isoformat(), "weekday": f"星期{_WEEKDAYS[d.day.weekday()]}", "kind": d.kind,
                  "kind_text": _KIND_TEXT[d.kind], "name": d.name} for d in days],
    }
