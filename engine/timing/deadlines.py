"""Deadlines as staff see them (green/yellow/red cards) and their recount when a holiday year is imported."""
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine import projections, runtime
from engine.store.models import Instance, Timer
from engine.timing import holidays
from engine.timing.calendar import WorkCalendar
from engine.timing.clock import SHANGHAI, local_iso

GREEN, YELLOW, RED = "green", "yellow", "red"
CARD_TEXT = {GREEN: "绿牌", YELLOW: "黄牌", RED: "红牌"}


def card(due_at: datetime | None, remind_at: datetime | None, now: datetime) -> str | None:
    """红 overdue, 黄 due within a working day, 绿 on time; None for a step without a deadline."""
    if due_at is None:
        return None
    if now >= due_at:
        return RED
    if remind_at is not None and now >= remind_at:
        return YELLOW
    return GREEN


def _recount(calendar: WorkCalendar, basis: dict[str, Any]):
    received = datetime.fromisoformat(basis["received"])
    if basis["rule"] == "calendar":
        return calendar.calendar_deadline(received, basis["days"])
    return calendar.working_deadline(received, basis["days"])


def _affected(session: Session, year: int) -> list[str]:
    """Instances with a counted deadline that was provisional or whose counting touched `year`."""
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    query = (select(Timer.instance_id).join(Instance, Instance.id == Timer.instance_id)
             .where(Timer.rule.is_not(None), Instance.status == "running",
                    or_(Timer.provisional, and_(Timer.due_at >= start, Timer.received_at < end)))
             .distinct())
    return list(session.scalars(query))


def recount(session: Session, year: int, actor: str, now: datetime) -> list[dict[str, Any]]:
    """Recount every waiting deadline the imported year affects: the Spiff timer, its row, the task's
    shown date and reminder all move, and history records old and new."""
    changed: list[dict[str, Any]] = []
    for instance_id in _affected(session, year):
        instance = session.get_one(Instance, instance_id, with_for_update=True)
        run = runtime._Run(session, instance, now, actor)
        run.catch_up()
        moved = []
        for task, due in projections.waiting_timers(run.workflow):
            basis = projections.deadline_basis(task, due)
            if basis is None:
                continue
            deadline = _recount(run.calendar, basis)
            if deadline.due_at == due and deadline.provisional == basis["provisional"]:
                continue
            entries = [dict(e, due=deadline.due_at.isoformat(), provisional=deadline.provisional)
                       if e is basis else e for e in task._get_internal_data("deadline_basis")]
            task._set_internal_data(event_value=deadline.due_at.isoformat(), deadline_basis=entries)
            moved.append({"timer": task.task_spec.bpmn_id, "task_id": str(task.id), "old_due": local_iso(due),
                          "new_due": local_iso(deadline.due_at), "provisional": deadline.provisional})
        if moved:
            run.record("deadline_recounted", None, None, {"year": year, "timers": moved})
            run.save()
            changed += [dict(m, instance_id=instance_id) for m in moved]
    return changed


def import_calendar(session: Session, filename: str, content: bytes, actor: str, now: datetime
                    ) -> dict[str, Any]:
    """Load a year's official schedule and recount the deadlines it affects, in one transaction."""
    rows = holidays.parse_csv(content, filename)
    year = holidays.import_year(session, rows, filename, actor, now)
    recounted = recount(session, year, actor, now)
    return {"year": year, "holidays": sum(1 for r in rows if r[1] == "holiday"),
            "workdays": sum(1 for r in rows if r[1] == "workday"), "recounted": recounted}
