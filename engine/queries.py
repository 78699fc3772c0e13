"""Read-side views shared by the CLI and the web: task lists, instances, history."""
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import assignment, deadlines, definitions, history, projections, serialization
from .clock import local_iso
from .directory import Actor
from .errors import NotFound
from .models import Definition, Escalation, HumanTask, Instance, Timer
from .runtime import instance_data


def _iso(value: datetime | None) -> str | None:
    return local_iso(value) if value else None


def task_view(task: HumanTask, now: datetime, case_title: str | None = None) -> dict[str, Any]:
    state = deadlines.card(task.due_at, task.remind_at, now)
    return {"task_id": task.id, "instance_id": task.instance_id, "process_id": task.process_id,
            "task_name": task.task_name, "title": task.title, "case_title": case_title, "lane": task.lane,
            "organisation": task.organisation, "group": task.group_name, "assignee": task.assignee,
            "form_key": task.form_key, "received_at": _iso(task.created_at), "due_at": _iso(task.due_at),
            "provisional": bool(task.due_at and task.due_provisional), "remind_at": _iso(task.remind_at),
            "reminded_at": _iso(task.reminded_at), "card": state, "overdue": state == deadlines.RED}


def tasks_for(session: Session, actor: Actor, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """Ready tasks the actor may act on, soonest due first."""
    rows = session.execute(
        select(HumanTask, Instance.title).join(Instance, Instance.id == HumanTask.instance_id)
        .where(assignment.visible_to(actor))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
        .limit(limit))
    return [task_view(task, now, title) for task, title in rows]


def instance_view(session: Session, instance_id: str, now: datetime) -> dict[str, Any]:
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound(f"实例 {instance_id} 不存在")
    definition = session.get(Definition, instance.definition_id)
    workflow = serialization.restore(instance.state, definitions.load(session, instance.definition_id))
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                            .order_by(HumanTask.created_at, HumanTask.id))
    ready = [task_view(t, now, instance.title) for t in tasks]
    timers = session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.kind == "event")
                             .order_by(Timer.due_at))
    escalations = session.scalars(select(Escalation).where(Escalation.instance_id == instance_id)
                                  .order_by(Escalation.id))
    waiting_messages = sorted({t.task_spec.event_definition.name
                               for t in projections.waiting_message_tasks(workflow)})
    return {
        "instance_id": instance.id, "process_id": instance.process_id, "version": definition.version,
        "status": instance.status, "title": instance.title, "started_by": instance.started_by,
        "started_at": _iso(instance.started_at), "completed_at": _iso(instance.completed_at),
        "data": instance_data(workflow),
        "ready_tasks": ready,
        "overdue": any(t["overdue"] for t in ready),
        "waiting_timers": [{"task_name": t.task_name, "due_at": _iso(t.due_at),
                            "attached_to": t.attached_to, "provisional": t.provisional,
                            "rule": t.rule, "days": t.rule_days, "attempts": t.attempts,
                            "last_error": t.last_error} for t in timers],
        "escalations": [{"step": e.step, "overdue_unit": e.overdue_unit, "reported_to": e.reported_to,
                         "due_at": _iso(e.due_at), "escalated_at": _iso(e.escalated_at)} for e in escalations],
        "waiting_messages": waiting_messages,
        "error": ({"task_name": instance.error_task, "message": instance.error_message}
                  if instance.status == "error" else None),
        "completed_steps": [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                            if t.task_spec.bpmn_id],
    }


def history_view(session: Session, instance_id: str) -> list[dict[str, Any]]:
    if session.get(Instance, instance_id) is None:
        raise NotFound(f"实例 {instance_id} 不存在")
    return [{"seq": e.seq, "at": _iso(e.at), "actor": e.actor, "kind": e.kind,
             "task_name": e.task_name, "data": e.data, "hash": e.hash}
            for e in history.events(session, instance_id)]
