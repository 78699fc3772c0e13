"""What is late, for leaders: open steps by card, delay reports and their state, on-time rate of done steps,
over the units of a region."""
from collections import defaultdict
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from engine import definitions, projections, queries
from engine.people import access, directory
from engine.people.directory import Actor
from engine.store import serialization
from engine.store.models import Definition, Escalation, Event, HumanTask, Instance, Organisation, User
from engine.timing.clock import local_iso

OPEN, HANDLED = "open", "handled"


def may_view(actor: Actor) -> bool:
    return actor.is_admin or ((actor.is_leader or "auditor" in actor.roles) and bool(actor.organisation))


def units(session: Session, actor: Actor) -> list[str]:
    """The units a leader answers for: their organisation and every one below it (a government, its region)."""
    if actor.is_admin:
        return list(session.scalars(select(Organisation.code).order_by(Organisation.id)))
    if not may_view(actor) or actor.organisation is None:
        return []
    below = directory.subtree(session, actor.organisation)
    return [code for code in session.scalars(select(Organisation.code).order_by(Organisation.id)) if code in below]


def _in(column: Any, codes: list[str]) -> ColumnElement[bool]:
    return column.in_(codes) if codes else false()


def open_steps(session: Session, codes: list[str], now: datetime, by: str) -> list[dict[str, Any]]:
    """Open steps held by these units, counted red (due passed), yellow (due within the reminder lead) and
    all, grouped `by` unit or process; only groups with an open step."""
    key = HumanTask.organisation if by == "unit" else HumanTask.process_id
    red = func.sum(case((HumanTask.due_at <= now, 1), else_=0))  # as queries' card filters
    yellow = func.sum(case((and_(HumanTask.due_at > now, HumanTask.remind_at <= now), 1), else_=0))
    rows = session.execute(select(key, red, yellow, func.count()).where(_in(HumanTask.organisation, codes))
                           .group_by(key)).all()
    order = {code: i for i, code in enumerate(codes)}
    found = [{"key": k, "red": int(r or 0), "yellow": int(y or 0), "open": n} for k, r, y, n in rows]
    if by == "unit":
        return sorted(found, key=lambda row: order.get(row["key"], len(order)))
    return sorted(found, key=lambda row: (-row["red"], -row["yellow"], row["key"]))


def escalations(session: Session, codes: list[str], reported_to: str | None = None) -> list[dict[str, Any]]:
    """Delay reports (督办) about these units or made to them, newest first; a report is open while its case
    runs and the reported step is still waiting to be done, else handled."""
    where = (Escalation.reported_to == reported_to if reported_to is not None
             else or_(_in(Escalation.overdue_unit, codes), _in(Escalation.reported_to, codes)))
    rows = session.execute(select(Escalation, Instance.title, Instance.status, Instance.definition_id,
                                  Definition.name)
                           .join(Instance, Instance.id == Escalation.instance_id)
                           .join(Definition, Definition.id == Instance.definition_id)
                           .where(where).order_by(Escalation.escalated_at.desc(), Escalation.id.desc())).all()
    waiting = {tuple(row) for row in session.execute(select(HumanTask.instance_id, HumanTask.task_name).where(
        HumanTask.instance_id.in_({row[0].instance_id for row in rows}))).all()}
    specs: dict[int, dict[str, Any]] = {}
    found = []
    for e, title, status, definition_id, process_name in rows:
        if definition_id not in specs:
            specs[definition_id] = queries._steps(definitions.load(session, definition_id))
        still = status == "running" and (e.instance_id, e.step) in waiting
        found.append({"id": e.id, "instance_id": e.instance_id, "case_title": title, "process_name": process_name,
                      "step": e.step, "step_title": queries._step_title(specs[definition_id], e.step),
                      "overdue_unit": e.overdue_unit, "reported_to": e.reported_to,
                      "due_at": local_iso(e.due_at) if e.due_at else None,
                      "escalated_at": local_iso(e.escalated_at), "state": OPEN if still else HANDLED})
    return found


def completed_steps(session: Session, actor: Actor, codes: list[str]) -> list[dict[str, Any]]:
    """Every done step with a deadline, by the units that did it (the unit of the person who completed it),
    with its deadline as it stood when done and whether it was done by then."""
    unit_of: dict[str, str] = {user: code for user, code in session.execute(
        select(User.username, Organisation.code).join(Organisation, Organisation.id == User.organisation_id)).all()}
    wanted = {u for u, code in unit_of.items() if code in codes}
    done = session.execute(select(Event.instance_id, Event.task_id, Event.task_name, Event.at, Event.actor)
                           .join(Instance, Instance.id == Event.instance_id)
                           .where(Event.kind == "task_completed", Event.actor.in_(wanted),
                                  access.visible(actor, access.jurisdiction(session, actor))
                                  if not actor.is_admin else true())).all()
    by_case: dict[str, list[Any]] = defaultdict(list)
    for row in done:
        by_case[row.instance_id].append(row)
    found = []
    for instance_id, events in by_case.items():
        instance = session.get(Instance, instance_id)
        assert instance is not None  # noqa: S101 - joined above
        loaded = definitions.load(session, instance.definition_id)
        workflow = serialization.restore(instance.state, loaded.specs)
        due_of = {str(t.id): due for t in workflow.get_tasks(state=TaskState.COMPLETED, manual=True)
                  if (due := projections.step_deadline(t)) is not None}
        specs = queries._steps(loaded)
        for e in events:
            due = due_of.get(e.task_id or "")
            if due is None:
                continue
            found.append({"instance_id": instance_id, "case_title": instance.title, "process_name": loaded.name,
                          "step_title": queries._step_title(specs, e.task_name),
                          "unit": unit_of[e.actor], "actor": e.actor, "due_at": local_iso(due),
                          "completed_at": local_iso(e.at), "on_time": e.at <= due})
    return sorted(found, key=lambda row: row["completed_at"], reverse=True)


def on_time_rates(done: list[dict[str, Any]], codes: list[str]) -> list[dict[str, Any]]:
    """Per unit: done steps with a deadline, how many by it, how many after it, the share on time (%)."""
    counts: dict[str, list[int]] = {}
    for row in done:
        counts.setdefault(row["unit"], [0, 0])[0 if row["on_time"] else 1] += 1
    return [{"unit": code, "on_time": on, "late": late, "done": on + late, "rate": round(100 * on / (on + late), 1)}
            for code in codes if code in counts for on, late in [counts[code]]]

