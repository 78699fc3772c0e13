"""The access log: every auditor view and every export, itself a record (who, when, what)."""
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import AccessRecord
from engine.timing.clock import local_iso


def record(session: Session, *, username: str, action: str, target: str, now: datetime,
           detail: dict[str, Any] | None = None) -> None:
    session.add(AccessRecord(at=now, username=username, action=action, target=target[:300], detail=detail or {}))


def entries(session: Session, limit: int = 1000) -> list[dict[str, Any]]:
    rows = session.scalars(select(AccessRecord).order_by(AccessRecord.at.desc(), AccessRecord.id.desc()).limit(limit))
    return [{"at": local_iso(r.at), "username": r.username, "action": r.action, "target": r.target,
             "detail": r.detail} for r in rows]
