"""Processes started by their timer start event: a new case at every time of the cycle.

The cycle is the start event's timer expression, evaluated with the settings as variables, so
`self_inspection_cycle` in a diagram reads that setting and a quoted literal is taken as written.
Each tick first brings the schedule rows in line with the newest deployed versions and the settings
(a changed cycle counts from now), then starts the cases that are due. A schedule row is taken with
FOR UPDATE SKIP LOCKED and moved on in the transaction that starts its case, so several workers
start each case exactly once. When the workers were stopped over several times of a cycle, one case
starts for them all, not one per missed time.
"""
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import definitions, projections, runtime, settings
from engine.bounds import Limits
from engine.errors import InvalidInput, ZhunruError
from engine.sandbox import SandboxEnvironment
from engine.store.db import conflict_insert
from engine.store.models import Definition, Schedule
from engine.timing import cycles
from engine.timing.clock import local_iso
from engine.timing.timers import backoff

log = logging.getLogger("zhunru.schedules")


def _cycle_text(expression: str, stored: dict[str, str]) -> str:
    """A timer start's cycle as the process owner set it: a setting's value, or the diagram's literal."""
    try:
        value = SandboxEnvironment(Limits.of(stored)).evaluate(expression, dict(stored))
    except Exception as exc:  # noqa: BLE001 - any failure of the owner's expression is reported as theirs
        raise InvalidInput(f"开始定时器表达式 {expression!r} 无法求值: {exc}") from exc
    if not isinstance(value, str):
        raise InvalidInput(f"开始定时器表达式 {expression!r} 应得出 ISO 8601 文本，实际为 {value!r}")
    return value


# (definition id, digest) → (start event, its expression), or None: what a tick needs of a deployed version,
# which never changes, so a tick parses no diagram it has seen (even when parsed definitions are not kept).
_TIMER_STARTS: dict[tuple[int, str], tuple[str, str] | None] = {}


def _timer_start(session: Session, definition_id: int, digest: str) -> tuple[str, str] | None:
    key = (definition_id, digest)
    if key not in _TIMER_STARTS:
        start = projections.timer_start(definitions.load(session, definition_id, digest).spec)
        _TIMER_STARTS[key] = (start.bpmn_id, start.event_definition.expression) if start is not None else None
    return _TIMER_STARTS[key]


def _wanted(session: Session) -> dict[str, tuple[str, str]]:
    """{process_id: (start event, cycle text)} for the newest versions that start on a timer."""
    newest = (select(Definition.process_id, func.max(Definition.version).label("v"))
              .group_by(Definition.process_id).subquery())
    rows = session.execute(select(Definition.id, Definition.sha256, Definition.process_id).join(
        newest, (Definition.process_id == newest.c.process_id) & (Definition.version == newest.c.v)))
    stored = settings.values(session)
    wanted = {}
    for definition_id, digest, process_id in rows:
        start = _timer_start(session, definition_id, digest)
        if start is None:
            continue
        try:
            wanted[process_id] = (start[0], _cycle_text(start[1], stored))
        except InvalidInput as exc:  # one diagram's bad cycle never stops the others' schedules
            log.warning("schedule of %s: %s", process_id, exc)
    return wanted


def sync(session: Session, now: datetime) -> None:
    """Bring the schedule rows in line with the deployed diagrams and settings."""
    wanted = _wanted(session)
    rows = {r.process_id: r for r in session.scalars(select(Schedule).with_for_update(skip_locked=True))}
    session.execute(delete(Schedule).where(Schedule.process_id.not_in(wanted)))
    for process_id, (start_event, text) in wanted.items():
        row = rows.get(process_id)
        if row is not None and (row.start_event, row.cycle) == (start_event, text):
            continue
        try:
            cycle = cycles.parse(text)
        except InvalidInput as exc:
            log.warning("schedule of %s: %s", process_id, exc)
            cycle = None
        # A time falling on this very tick still counts: the cycle is new to the schedule.
        next_at = cycle.next_after(now - timedelta(microseconds=1)) if cycle is not None else None
        if next_at is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.execute(conflict_insert(session, Schedule).values(
                process_id=process_id, start_event=start_event, cycle=text, next_at=next_at, attempts=0)
                .on_conflict_do_nothing())
        else:
            row.start_event, row.cycle, row.next_at, row.attempts, row.last_error = start_event, text, next_at, 0, None


def start_due(sessions: sessionmaker[Session], now: datetime) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Start every scheduled case due by `now`; returns (started, failed)."""
    with sessions() as session, session.begin():
        sync(session, now)
    started: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    done: set[str] = set()
    while True:
        with sessions() as session, session.begin():
            row = session.scalars(select(Schedule).where(Schedule.next_at <= now, Schedule.process_id.not_in(done))
                                  .order_by(Schedule.next_at).limit(1).with_for_update(skip_locked=True)).first()
            if row is None:
                return started, failed
            done.add(row.process_id)
            cycle = cycles.parse(row.cycle)
            scheduled_for = (cycle.latest_by(now) if cycle is not None else None) or row.next_at
            try:
                with session.begin_nested():
                    instance = runtime.start_scheduled(session, row.process_id, row.start_event, scheduled_for, now)
            except Exception as exc:  # noqa: BLE001 - a failed start is retried and listed, never lost
                message = str(exc) if isinstance(exc, ZhunruError) else f"{type(exc).__name__}: {exc}"
                log.warning("scheduled start of %s failed: %s", row.process_id, message)
                row.attempts += 1
                row.next_at, row.last_error = now + backoff(row.attempts), message[:2000]
                failed.append({"process_id": row.process_id, "error": message})
                continue
            started.append({"process_id": row.process_id, "instance_id": instance.id,
                            "scheduled_for": local_iso(scheduled_for)})
            row.last_instance_id, row.attempts, row.last_error = instance.id, 0, None
            next_at = cycle.next_after(now) if cycle is not None else None
            if next_at is None:
                session.delete(row)
            else:
                row.next_at = next_at


def listing(session: Session) -> list[dict[str, Any]]:
    """Each scheduled process with its next start, as an administrator checks them."""
    return [{"process_id": r.process_id, "start_event": r.start_event, "cycle": r.cycle,
             "next_at": local_iso(r.next_at), "last_instance_id": r.last_instance_id,
             "attempts": r.attempts, "error": r.last_error}
            for r in session.scalars(select(Schedule).order_by(Schedule.next_at))]
