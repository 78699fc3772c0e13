"""When a process with a timer start event starts its next case: an ISO 8601 date or repeating interval.

`R/2026-01-05T09:00/P3M` starts a case on 5 January 2026 at 09:00 Beijing time and every three calendar
months after it; `R4/…` starts four cases in all; a plain date starts one. Months are counted on the
calendar (5 January, 5 April, 5 July…), not as a fixed number of seconds, so the hour never drifts.
"""
import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.errors import InvalidInput
from engine.timing.clock import SHANGHAI, parse_instant

OFF = "停用"
_EXAMPLE = "例如 R/2026-01-05T09:00/P3M (自 2026-01-05 09:00 起每三个月)"


@dataclass(frozen=True)
class Cycle:
    first: datetime  # Beijing time
    months: int = 0
    rest: timedelta = timedelta(0)
    repeats: int | None = 1  # None: without end

    def occurrence(self, k: int) -> datetime:
        month_index = self.first.month - 1 + k * self.months
        year, month = self.first.year + month_index // 12, month_index % 12 + 1
        day = min(self.first.day, calendar.monthrange(year, month)[1])
        return self.first.replace(year=year, month=month, day=day) + k * self.rest

    def _first_index_after(self, instant: datetime) -> int:
        span = timedelta(days=30.436875 * self.months) + self.rest
        if not span:
            return 0 if self.first > instant else 1
        k = max(0, int((instant - self.first) / span) - 1)
        while self.occurrence(k) <= instant:
            k += 1
        return k

    def next_after(self, instant: datetime) -> datetime | None:
        """The first start strictly after `instant`; None when the cycle has ended."""
        k = self._first_index_after(instant)
        return self.occurrence(k) if self.repeats is None or k < self.repeats else None

    def latest_by(self, instant: datetime) -> datetime | None:
        """The last start at or before `instant` (the time a late-started case stands for)."""
        k = self._first_index_after(instant) - 1
        if self.repeats is not None:
            k = min(k, self.repeats - 1)
        return self.occurrence(k) if k >= 0 else None


def _period(text: str, whole: str) -> tuple[int, timedelta]:
    # SpiffWorkflow's parser, imported here: reading the settings (`zhunru setting show`) does not need it.
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    try:
        parts = TimerEventDefinition.parse_iso_duration(text)
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
        raise InvalidInput(f"'{whole}' 中的周期 '{text}' 不是有效的 ISO 8601 时长 ({_EXAMPLE})") from exc
    if any(isinstance(v, float) for k, v in parts.items() if k in ("years", "months")):
        raise InvalidInput(f"'{whole}' 中的年、月数必须是整数")
    months = int(parts.pop("years", 0)) * 12 + int(parts.pop("months", 0))
    rest = timedelta(**parts)
    if months <= 0 and rest <= timedelta(0):
        raise InvalidInput(f"'{whole}' 的周期必须大于零")
    if months == 0 and rest < timedelta(hours=1):
        raise InvalidInput(f"'{whole}' 的周期太短：定期启动的流程间隔至少一小时")
    return months, rest


def parse(text: str) -> Cycle | None:
    """A cycle as a process owner writes it; None for 停用 (no scheduled start)."""
    value = text.strip()
    if value in (OFF, "off", ""):
        return None
    match = re.fullmatch(r"R(\d*)/([^/]+)/([^/]+)", value, re.IGNORECASE)
    if match is None:
        try:
            return Cycle(first=parse_instant(value).astimezone(SHANGHAI))
        except InvalidInput:
            raise InvalidInput(f"'{value}' 不是有效的启动周期：应为 R[次数]/开始时间/周期，或一个启动时间 "
                               f"({_EXAMPLE})；不定期启动请填 {OFF}") from None
    repeats = int(match[1]) if match[1] else None
    if repeats == 0:
        raise InvalidInput(f"'{value}' 的次数必须大于零 (不定期启动请填 {OFF})")
    first = parse_instant(match[2], f"'{value}' 的开始时间").astimezone(SHANGHAI)
    months, rest = _period(match[3], value)
    return Cycle(first=first, months=months, rest=rest, repeats=repeats)


def clean(text: str) -> str:
    """Validate a cycle setting; returns the stored form."""
    parse(text)
    return text.strip() or OFF
