"""Dates and times in operator parameters, read one way: diagrams pass them as ISO 8601 text (an empty text,
as a form leaves an unfilled field, is no value), and a time must say its zone."""
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields


class Instant(fields.Field):
    """An aware datetime from ISO 8601 text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationError(f"{value!r} 不是有效时间") from exc
        if instant.tzinfo is None:
            raise ValidationError(f"{value!r} 缺少时区")
        return instant


class Day(fields.Field):
    """A calendar day from ISO 8601 text (a date, or the date part of a time)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date | None:
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError as exc:
            raise ValidationError(f"{value!r} 不是有效日期") from exc
