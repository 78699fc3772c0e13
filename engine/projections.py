"""The human_task and timer rows that queries need, derived from the workflow after each command."""
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import assignment
from .definitions import LoadedDefinition
from .models import HumanTask, Instance, Timer


def _timer_definition(spec: Any) -> TimerEventDefinition | None:
    event = getattr(spec, "event_definition", None)
    if isinstance(event, TimerEventDefinition):
        return event
    if isinstance(event, MultipleEventDefinition):
        return next((e for e in event.event_definitions if isinstance(e, TimerEventDefinition)), None)
    return None


def timer_due(task: Any) -> datetime | None:
    """When a waiting timer falls due, from the value Spiff computed when the timer began waiting."""
    definition = _timer_definition(task.task_spec)
    value = task._get_internal_data("event_value")
    if definition is None or value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None
        return TimerEventDefinition.get_datetime(value["next"])
    if isinstance(value, datetime):
        return value
    if isinstance(definition, DurationTimerEventDefinition):
        return TimerEventDefinition.get_datetime(value)
    parsed = TimerEventDefinition.parse_time_or_duration(str(value))
    return parsed if isinstance(parsed, datetime) else None


def attached_activity(task: Any) -> Any | None:
    """The activity a boundary event task guards (its sibling under the boundary split)."""
    if not isinstance(task.task_spec, BoundaryEvent) or not isinstance(task.parent.task_spec, BoundaryEventSplit):
        return None
    return next((t for t in task.parent.children if not isinstance(t.task_spec, BoundaryEvent)), None)


def waiting_timers(workflow: BpmnWorkflow) -> list[tuple[Any, datetime]]:
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        due = timer_due(task)
        if due is not None:
            found.append((task, due))
    return found


def waiting_message_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """Catch events and receive tasks currently waiting for a message."""
    return [t for t in workflow.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)]


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def task_title(spec: Any) -> str:
    return getattr(spec, "bpmn_name", None) or spec.name


def form_key(spec: Any) -> str | None:
    return ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("formKey")


def sync(session: Session, instance: Instance, definition: LoadedDefinition, workflow: BpmnWorkflow,
         now: datetime, known_organisations: set[str]) -> None:
    """Rewrite this instance's rows to match the workflow, in the command's transaction."""
    timers = waiting_timers(workflow)
    deadline_of: dict[Any, datetime] = {}
    wanted_timers = {}
    for task, due in timers:
        activity = attached_activity(task)
        if activity is not None:
            deadline_of[activity.id] = min(due, deadline_of.get(activity.id, due))
        wanted_timers[str(task.id)] = (task, due, activity.task_spec.bpmn_id if activity else None)

    existing = {t.id: t for t in session.scalars(select(Timer).where(Timer.instance_id == instance.id))}
    for timer_id, row in existing.items():
        if timer_id not in wanted_timers:
            session.delete(row)
    for timer_id, (task, due, attached) in wanted_timers.items():
        row = existing.get(timer_id)
        if row is None:
            session.add(Timer(id=timer_id, instance_id=instance.id, task_name=task.task_spec.bpmn_id or
                              task.task_spec.name, attached_to=attached, due_at=due))
        elif row.due_at != due:
            row.due_at = due

    current = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))}
    wanted = {str(t.id): t for t in ready_human_tasks(workflow)}
    for task_id, row in current.items():
        if task_id not in wanted:
            session.delete(row)
    for task_id, task in wanted.items():
        owner = assignment.resolve(definition, task.task_spec.lane, task.data, instance.started_by,
                                   known_organisations)
        row = current.get(task_id)
        if row is None:
            row = HumanTask(id=task_id, instance_id=instance.id, process_id=instance.process_id,
                            task_name=task.task_spec.bpmn_id or task.task_spec.name,
                            title=task_title(task.task_spec), lane=task.task_spec.lane,
                            form_key=form_key(task.task_spec), created_at=now)
            session.add(row)
        row.organisation, row.group_name = owner.organisation, owner.group_name
        if row.assignee is None or owner.assignee is not None:
            row.assignee = owner.assignee
        row.due_at = deadline_of.get(task.id)
