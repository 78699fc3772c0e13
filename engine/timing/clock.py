"""One clock for every command: ZHUNRU_NOW or the wall clock, and SpiffWorkflow's timers follow it."""
import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from engine.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
_engine_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("zhunru_now", default=None)


def parse_instant(text: str, what: str = "时间") -> datetime:
    """Parse ISO 8601; a time without offset is Asia/Shanghai, as staff write it."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{what} '{text}' 不是有效的 ISO 8601 时间 (例如 2026-02-13T09:30:00+08:00)") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value


def system_now() -> datetime:
    """The current instant: ZHUNRU_NOW when set, so every command can run in simulated time."""
    fixed = os.environ.get("ZHUNRU_NOW")
    if fixed:
        return parse_instant(fixed, "ZHUNRU_NOW")
    return datetime.now(UTC)


def engine_now() -> datetime:
    """The instant of the command being run (set by `running_at`), else the system clock."""
    return _engine_now.get() or system_now()


@contextmanager
def running_at(now: datetime) -> Iterator[None]:
    """Run engine steps as of `now`: scripts, deadline functions and Spiff timers all see it."""
    _route_spiff_timers()
    token = _engine_now.set(now)
    try:
        yield
    finally:
        _engine_now.reset(token)


class _SpiffClockDatetime(datetime):
    """SpiffWorkflow's timer module calls datetime.now() directly; route it to our clock."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        current = _engine_now.get()
        if current is None:
            return super().now(tz)
        result = current.astimezone(tz) if tz else current
        return cls.fromisoformat(result.isoformat())


@cache
def _route_spiff_timers() -> None:
    """Patch Spiff's timer module once, on the first engine step: outside `running_at` our clock is the wall
    clock anyway, and a command that runs no workflow (`zhunru setting show`) starts without SpiffWorkflow."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

    spiff_timer.datetime = _SpiffClockDatetime  # type: ignore[misc]


def local_iso(value: datetime) -> str:
    """An instant as staff read it: ISO 8601 in Asia/Shanghai."""
    return value.astimezone(SHANGHAI).isoformat()


def deadline_text(iso: str | None) -> str:
    """A deadline as staff write it: one that ends a day reads "that day 24:00", not the next day's 00:00."""
    if not iso:
        return ""
    due = datetime.fromisoformat(iso).astimezone(SHANGHAI)
    if (due.hour, due.minute, due.second) == (0, 0, 0):
        return f"{(due - timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{due:%Y-%m-%d %H:%M}"
