"""The human_task and timer rows that queries need, derived from the workflow after each command."""
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import assignment
from .calendar import WorkCalendar
from .clock import engine_now, local_iso
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


def start_form_key(spec: Any) -> str | None:
    """The form of a process's message start event: what a starter (or a platform) must send."""
    start = next((t for t in spec.task_specs.values() if isinstance(t, StartEvent)
                  and isinstance(getattr(t, "event_definition", None), MessageEventDefinition)), None)
    return form_key(start) if start is not None else None


def timer_start(spec: Any) -> Any | None:
    """A process's timer start event: the engine starts a new case at each time of its cycle."""
    return next((t for t in spec.task_specs.values() if isinstance(t, StartEvent)
                 and isinstance(getattr(t, "event_definition", None), TimerEventDefinition)), None)


def seed_start(workflow: BpmnWorkflow, data: dict[str, Any], trigger: str | None = None) -> None:
    """Give a new workflow its start data; a process that starts on a message receives them as that message.

    `trigger` names the timer start event a schedule fired: a case is one cycle, so that start event
    fires once, at once. Other timer start events never fire within a case (the engine, not the case,
    starts the next cycle as a new case); SpiffWorkflow withdraws every start event but the one taken."""
    for task in workflow.get_tasks(spec_class=StartEvent):
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition):
            continue
        when = engine_now() - timedelta(seconds=1) if task.task_spec.bpmn_id == trigger else datetime.max.replace(
            tzinfo=UTC)
        task._set_internal_data(event_value={"cycles": 1, "next": when.isoformat(), "duration": 0}
                                if isinstance(definition, CycleTimerEventDefinition) else when.isoformat())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    several = len(workflow.get_tasks(spec_class=StartEvent)) > 1
    for task in waiting_message_tasks(workflow):
        if isinstance(task.task_spec, StartEvent):
            workflow.catch(BpmnEvent(task.task_spec.event_definition, dict(data)))
            if several:
                # Beside another start event, SpiffWorkflow predicted this one's path as merely possible;
                # a multi-instance activity on it could not start. The path is taken now: predict it so.
                task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def task_title(spec: Any) -> str:
    return getattr(spec, "bpmn_name", None) or spec.name


def form_key(spec: Any) -> str | None:
    return ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("formKey")


LAPSED = "lapsed_deadline"  # internal data of an activity whose boundary deadline has passed
REMINDER_PREFIX = "remind:"


def move_deadline(workflow: BpmnWorkflow, task_name: str, new_due: datetime) -> list[dict[str, Any]]:
    """Move the deadline of a running activity: its waiting timers, or the shown date once lapsed."""
    moved = []
    for timer_task, old_due in waiting_timers(workflow):
        activity = attached_activity(timer_task)
        if activity is not None and activity.task_spec.bpmn_id == task_name:
            # A date a person chose is not recounted when a holiday year is imported.
            timer_task._set_internal_data(event_value=new_due.isoformat(), deadline_basis=None)
            moved.append({"timer": timer_task.task_spec.bpmn_id, "old_due": local_iso(old_due),
                          "new_due": local_iso(new_due)})
    if not moved:
        for activity in ready_human_tasks(workflow):
            lapsed = activity._get_internal_data(LAPSED)
            if activity.task_spec.bpmn_id == task_name and lapsed:
                activity._set_internal_data(**{LAPSED: new_due.isoformat()})
                moved.append({"timer": None, "old_due": local_iso(datetime.fromisoformat(lapsed)),
                              "new_due": local_iso(new_due)})
    if not moved:
        raise ValidationError(f"环节 {task_name} 当前没有正在计时的时限", "task")
    return moved


def deadline_basis(task: Any, due: datetime) -> dict[str, Any] | None:
    """How a timer's deadline was counted (working_deadline / calendar_deadline), if it was."""
    for entry in task._get_internal_data("deadline_basis") or []:
        if datetime.fromisoformat(entry["due"]) == due:
            return entry
    return None


def _event_timer_rows(workflow: BpmnWorkflow) -> tuple[dict[str, dict[str, Any]], dict[Any, tuple[datetime, bool]]]:
    rows: dict[str, dict[str, Any]] = {}
    deadline_of: dict[Any, tuple[datetime, bool]] = {}
    for task, due in waiting_timers(workflow):
        activity = attached_activity(task)
        basis = deadline_basis(task, due)
        provisional = bool(basis and basis["provisional"])
        if activity is not None and (activity.id not in deadline_of or due < deadline_of[activity.id][0]):
            deadline_of[activity.id] = (due, provisional)
        rows[str(task.id)] = {
            "kind": "event", "task_name": task.task_spec.bpmn_id or task.task_spec.name,
            "attached_to": activity.task_spec.bpmn_id if activity else None, "due_at": due,
            "rule": basis["rule"] if basis else None, "rule_days": basis["days"] if basis else None,
            "received_at": datetime.fromisoformat(basis["received"]) if basis else None,
            "provisional": provisional,
        }
    return rows, deadline_of


def _shown_deadline(task: Any, deadline_of: dict[Any, tuple[datetime, bool]]) -> tuple[datetime | None, bool]:
    """A task's deadline: its waiting boundary timer, else the one that already passed (overdue)."""
    if task.id in deadline_of:
        return deadline_of[task.id]
    lapsed = task._get_internal_data(LAPSED)
    return (datetime.fromisoformat(lapsed), False) if lapsed else (None, False)


def sync(session: Session, instance: Instance, definition: LoadedDefinition, workflow: BpmnWorkflow,
         now: datetime, known_organisations: AbstractSet[str], calendar: WorkCalendar) -> set[tuple[str, str]]:
    """Rewrite this instance's rows to match the workflow, in the command's transaction; returns the
    parties (organisation, group, user) that now hold a step."""
    wanted_timers, deadline_of = _event_timer_rows(workflow)
    parties: set[tuple[str, str]] = set()

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
                            form_key=form_key(task.task_spec), created_at=now,
                            form_version=definition.form_versions.get(form_key(task.task_spec) or ""))
            session.add(row)
        row.organisation, row.group_name = owner.organisation, owner.group_name
        if row.assignee is None or owner.assignee is not None:
            row.assignee = owner.assignee
        parties |= {("organisation", row.organisation), ("group", row.group_name), ("user", row.assignee)}
        due, provisional = _shown_deadline(task, deadline_of)
        if row.due_at != due:
            row.reminded_at = None  # a moved deadline gets its own reminder
        row.due_at, row.due_provisional = due, provisional
        row.remind_at = calendar.reminder_at(due) if due else None
        if row.remind_at is not None and row.reminded_at is None and task.id in deadline_of:
            wanted_timers[REMINDER_PREFIX + task_id] = {
                "kind": "reminder", "task_name": row.task_name, "attached_to": row.task_name,
                "due_at": row.remind_at, "rule": None, "rule_days": None, "received_at": None,
                "provisional": provisional}

    existing = {t.id: t for t in session.scalars(select(Timer).where(Timer.instance_id == instance.id))}
    for timer_id, timer in existing.items():
        if timer_id not in wanted_timers:
            session.delete(timer)
    for timer_id, values in wanted_timers.items():
        timer = existing.get(timer_id)
        if timer is None:
            session.add(Timer(id=timer_id, instance_id=instance.id, **values))
            continue
        for key, value in values.items():
            if getattr(timer, key) != value:
                setattr(timer, key, value)
    return {p for p in parties if p[1]}
