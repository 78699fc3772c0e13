"""Firing due timers: one transaction per instance, so one failure never blocks the others.

Several workers may tick at once: each instance is taken with FOR UPDATE SKIP LOCKED and its due
timers are read from its state under that lock, so every timer fires exactly once. A firing that
fails is rolled back, retried with backoff and listed as an incident until it succeeds.
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine import runtime
from engine.errors import ZhunruError
from engine.store.models import Instance, Schedule, Timer
from engine.timing.clock import local_iso

log = logging.getLogger("zhunru.timers")

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


@dataclass
class Tick:
    fired: list[dict[str, str]] = field(default_factory=list)  # {instance_id, task_name}
    reminded: list[dict[str, str]] = field(default_factory=list)  # {instance_id, task_name}
    failed: list[dict[str, str]] = field(default_factory=list)  # {instance_id, error}
    skipped: list[str] = field(default_factory=list)  # held by another worker this tick
    started: list[dict[str, str]] = field(default_factory=list)  # {process_id, instance_id, scheduled_for}
    failed_starts: list[dict[str, str]] = field(default_factory=list)  # {process_id, error}
    fired_after: dict[str, float] = field(default_factory=dict)  # instance id → seconds into the tick
    cleaned_files: int = 0  # uploads no case used, deleted at the setting's age (engine/files.py)


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _defer(session: Session, instance_id: str, now: datetime, error: str) -> None:
    for timer in session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.due_at < now)):
        timer.attempts += 1
        timer.next_attempt_at = now + backoff(timer.attempts)
        timer.last_error = error[:2000]


# Deadlines, then reminders: each read in due order along the (kind, due_at) index, a page at a time.
_DUE = tuple(select(Timer.instance_id)
             .where(Timer.kind == kind, Timer.due_at < bindparam("now"),
                    or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= bindparam("now")))
             .order_by(Timer.due_at).limit(bindparam("window")) for kind in ("event", "reminder"))


def due_instances(session: Session, now: datetime, limit: int = 100, exclude: frozenset[str] = frozenset()
                  ) -> list[str]:
    """Up to `limit` instances with a timer due before `now` and not backing off, other than `exclude` (those a
    tick already took). Deadlines come before reminders: a backlog of 催办 never delays an escalation. A call
    reads about `limit` rows of the index, so a tick's cost follows its due timers, however many it fires."""
    found: dict[str, None] = {}
    for statement in _DUE:
        window = limit
        while len(found) < limit:
            rows = session.scalars(statement, {"now": now, "window": window}).all()
            found.update((i, None) for i in rows if i not in exclude)
            if len(rows) < window:
                break  # none of this kind left
            window *= 2  # the page held instances already taken (held by another worker, say): look further
    return list(found)[:limit]


def fire_due(sessions: sessionmaker[Session], now: datetime, batch: int = 100) -> Tick:
    """Fire every timer due before `now`."""
    tick = Tick()
    began = time.perf_counter()
    done: set[str] = set()
    while True:
        with sessions() as session, session.begin():
            pending = due_instances(session, now, batch, frozenset(done))
        if not pending:
            return tick
        for instance_id in pending:
            done.add(instance_id)
            try:
                with sessions() as session, session.begin():
                    result = runtime.fire_timers(session, instance_id, now)
            except Exception as exc:  # noqa: BLE001 - any failure becomes an incident, never a lost timer
                message = str(exc) if isinstance(exc, ZhunruError) else f"{type(exc).__name__}: {exc}"
                log.warning("timers of instance %s failed: %s", instance_id, message)
                with sessions() as session, session.begin():
                    _defer(session, instance_id, now, message)
                tick.failed.append({"instance_id": instance_id, "error": message})
                continue
            if result is None:
                tick.skipped.append(instance_id)
                continue
            tick.fired.extend({"instance_id": instance_id, "task_name": n} for n in result.timers)
            if result.timers:
                tick.fired_after[instance_id] = time.perf_counter() - began
            tick.reminded.extend({"instance_id": instance_id, "task_name": n} for n in result.reminders)


def incidents(session: Session) -> list[dict[str, Any]]:
    """Timers whose firing failed, instances stopped by an error and scheduled starts that failed: what an
    administrator must see."""
    rows = session.execute(select(Timer, Instance.title).join(Instance, Instance.id == Timer.instance_id)
                           .where(Timer.attempts > 0).order_by(Timer.due_at))
    found = [{"kind": "timer", "instance_id": t.instance_id, "title": title, "task_name": t.task_name,
              "due_at": local_iso(t.due_at), "attempts": t.attempts,
              "next_attempt_at": local_iso(t.next_attempt_at) if t.next_attempt_at else None,
              "error": t.last_error} for t, title in rows]
    errors = session.scalars(select(Instance).where(Instance.status == "error").order_by(Instance.updated_at))
    found += [{"kind": "instance", "instance_id": i.id, "title": i.title, "task_name": i.error_task,
               "due_at": None, "attempts": None, "next_attempt_at": None, "error": i.error_message}
              for i in errors]
    failed_starts = session.scalars(select(Schedule).where(Schedule.attempts > 0).order_by(Schedule.next_at))
    found += [{"kind": "schedule", "instance_id": None, "title": s.process_id, "task_name": s.start_event,
               "due_at": None, "attempts": s.attempts, "next_attempt_at": local_iso(s.next_at),
               "error": s.last_error} for s in failed_starts]
    return found
