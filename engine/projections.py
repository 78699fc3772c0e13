"""The human_task and timer rows that queries need, derived from the workflow after each command."""
import re
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

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
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.definitions import LoadedDefinition
from engine.people import assignment
from engine.store import direct
from engine.store.models import HumanTask, Instance, Timer
from engine.timing.calendar import WorkCalendar
from engine.timing.clock import engine_now, local_iso


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


def every_task(workflow: BpmnWorkflow) -> Iterator[Any]:
    """Every task of the workflow and of its subprocesses, in no set order: for questions of "which" and
    "whether", a pass over Spiff's task dicts costs a fraction of a tree walk, and holds every task a walk meets."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def completed_ids(workflow: BpmnWorkflow) -> set[Any]:
    return {t.id for t in every_task(workflow) if t.state == TaskState.COMPLETED}


def path_since(workflow: BpmnWorkflow, completed_before: AbstractSet[Any]) -> list[str]:
    """The elements completed since `completed_before` was taken, in the order they completed: the path a
    command records and a replay compares (the tree walk's order breaks ties)."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if t.id not in completed_before and t.task_spec.bpmn_id is not None]
    return [t.task_spec.bpmn_id for t in sorted(done, key=lambda t: t.last_state_change)]


def waiting_timers(workflow: BpmnWorkflow) -> list[tuple[Any, datetime]]:
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        due = timer_due(task)
        if due is not None:
            found.append((task, due))
    return found


def any_timer_due(workflow: BpmnWorkflow, now: datetime) -> bool:
    """Whether some waiting timer fell due before `now` (most commands find none, and skip the walk)."""
    return any(t.state == TaskState.WAITING and (due := timer_due(t)) is not None and due < now
               for t in every_task(workflow))


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


def task_title(spec: Any, data: Mapping[str, Any] | None = None) -> str:
    """A step's name; with the case data, its property `title` when it has one, `{{ variable }}` filled in (a
    督办 per lapse titled by the late step and unit, so a person tells them apart)."""
    template = ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("title")
    if template and data is not None:
        return _PLACEHOLDER.sub(lambda m: str(data.get(m[1], "") or ""), template)[:300]
    return getattr(spec, "bpmn_name", None) or spec.name


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def form_key(spec: Any) -> str | None:
    return ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("formKey")


def auto_claim(spec: Any) -> bool:
    """Whether the diagram gives the step straight to whoever completed the step that led to it (property
    `autoClaim`), so a unit's clerk who does two steps in a row never fishes the second out of the pool."""
    value = ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("autoClaim")
    return str(value).strip().lower() in ("true", "yes", "1")


LAPSED = "lapsed_deadline"  # internal data of an activity whose boundary deadline has passed
REMINDER_PREFIX = "remind:"


def move_deadline(workflow: BpmnWorkflow, task_name: str, new_due: datetime,
                  variable: str | None = None) -> list[dict[str, Any]]:
    """Move the deadline of a running activity: its waiting timers, or the shown date once lapsed. With
    `variable`, the new due instant is also put in that variable of every open step of the case, so a timer that
    reads it keeps the date when the activity is entered again (a report returned for supplement)."""
    moved = []
    if variable is not None:
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            task.data[variable] = new_due.isoformat()
    for timer_task, old_due in waiting_timers(workflow):
        activity = attached_activity(timer_task)
        if activity is not None and activity.task_spec.bpmn_id == task_name:
            # A date a person chose is not recounted when a holiday year is imported.
            timer_task._set_internal_data(event_value=new_due.isoformat(), deadline_basis=None)
            moved.append({"timer": timer_task.task_spec.bpmn_id, "old_due": local_iso(old_due),
                          "new_due": local_iso(new_due)})
    if not moved:
        for activity in ready_human_tasks(workflow):
            lapsed = activity._get_internal_data(LAPSED) or _fired_due(activity)
            if activity.task_spec.bpmn_id == task_name and lapsed:
                activity._set_internal_data(**{LAPSED: new_due.isoformat()})
                moved.append({"timer": None, "old_due": local_iso(datetime.fromisoformat(lapsed)),
                              "new_due": local_iso(new_due)})
    if not moved and variable is None:
        raise ValidationError(f"环节 {task_name} 当前没有正在计时的时限", "task")
    return moved


def deadline_basis(task: Any, due: datetime) -> dict[str, Any] | None:
    """How a timer's deadline was counted (working_deadline / calendar_deadline), if it was."""
    for entry in task._get_internal_data("deadline_basis") or []:
        if datetime.fromisoformat(entry["due"]) == due:
            return entry
    return None


class Snapshot(NamedTuple):
    """What a command's save reads off the task tree, in one walk."""

    ready: list[Any]  # ready user and manual tasks
    waiting: list[tuple[Any, datetime]]  # waiting timers with their due time
    errors: list[Any]


def snapshot(workflow: BpmnWorkflow) -> Snapshot:
    ready, waiting, errors = [], [], []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.ERROR):
        if task.state == TaskState.READY:
            if task.task_spec.manual:
                ready.append(task)
        elif task.state == TaskState.ERROR:
            errors.append(task)
        elif (due := timer_due(task)) is not None:
            waiting.append((task, due))
    return Snapshot(ready, waiting, errors)


def _event_timer_rows(waiting: list[tuple[Any, datetime]]
                      ) -> tuple[dict[str, dict[str, Any]], dict[Any, tuple[datetime, bool]]]:
    rows: dict[str, dict[str, Any]] = {}
    deadline_of: dict[Any, tuple[datetime, bool]] = {}
    for task, due in waiting:
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
    lapsed = task._get_internal_data(LAPSED) or _fired_due(task)
    return (datetime.fromisoformat(lapsed), False) if lapsed else (None, False)


def step_deadline(task: Any) -> datetime | None:
    """The deadline a step had when it was done: the date it was moved to once lapsed, else the soonest of its
    boundary timers (SpiffWorkflow keeps a cancelled timer's due value in the task tree)."""
    lapsed = task._get_internal_data(LAPSED)
    if lapsed:
        return datetime.fromisoformat(lapsed)
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    dues = [due for sibling in parent.children if sibling is not task and (due := timer_due(sibling)) is not None]
    return min(dues) if dues else None


def _fired_due(task: Any) -> str | None:
    """The due instant of a boundary timer of this activity that fired as the activity began (a step entered
    again after its deadline, e.g. a report returned once the rectification period ran out): still its deadline."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    for sibling in parent.children:
        if sibling is not task and sibling.state == TaskState.COMPLETED and (due := timer_due(sibling)) is not None:
            return due.isoformat()
    return None


class _Statements(NamedTuple):
    columns: tuple[str, ...]  # the state a command rewrites
    stored: Any
    delete: Any
    insert: Any
    update: Any


def _statements(table: Table, columns: tuple[str, ...]) -> _Statements:
    """Built once: a statement built per call costs more than running it."""
    return _Statements(
        columns,
        select(table.c.id, *(table.c[c] for c in columns)).where(table.c.instance_id == bindparam("instance_id")),
        delete(table).where(table.c.id == bindparam("row_id")),  # many at once: IN (…) is compiled per call
        insert(table),
        update(table).where(table.c.id == bindparam("row_id")))


_TASKS = _statements(HumanTask.__table__, ("organisation", "group_name", "assignee", "due_at", "due_provisional",
                                           "remind_at", "reminded_at"))
_TIMERS = _statements(Timer.__table__, ("kind", "task_name", "attached_to", "due_at", "rule", "rule_days",
                                        "received_at", "provisional"))


class Rows(NamedTuple):
    """An instance's task and timer rows as a save wrote them: row id -> the columns commands rewrite."""

    tasks: dict[str, dict[str, Any]]
    timers: dict[str, dict[str, Any]]


NO_ROWS = Rows({}, {})  # a new instance's


def _stored(session: Session, statements: _Statements, instance_id: str) -> dict[str, dict[str, Any]]:
    return {row[0]: dict(zip(statements.columns, row[1:], strict=True))
            for row in direct.rows(session, statements.stored, {"instance_id": instance_id})}


def _rewrite(session: Session, statements: _Statements, instance_id: str, current: dict[str, dict[str, Any]],
             wanted: dict[str, dict[str, Any]], new: Callable[[str], dict[str, Any]]) -> None:
    """Make this instance's rows the wanted ones (id -> state columns, as `current` holds the stored ones),
    in at most three statements; `new(id)` gives the other columns of a row to insert.
    Core statements: they flush nothing else first."""
    gone = [row_id for row_id in current if row_id not in wanted]
    if gone:
        direct.execute(session, statements.delete, [{"row_id": row_id} for row_id in gone])
    inserts = [{"id": row_id, "instance_id": instance_id, **values, **new(row_id)}
               for row_id, values in wanted.items() if row_id not in current]
    if inserts:
        direct.execute(session, statements.insert, inserts)
    updates = [{"row_id": row_id, **values} for row_id, values in wanted.items()
               if row_id in current and values != current[row_id]]
    if updates:
        direct.execute(session, statements.update, updates)


def sync(session: Session, instance: Instance, definition: LoadedDefinition, tasks: Snapshot,
         now: datetime, known_organisations: Mapping[str, str | None], calendar: WorkCalendar,
         stored: Rows | None = None, claimed: Mapping[str, str] | None = None) -> tuple[Rows, set[tuple[str, str]]]:
    """Rewrite this instance's rows to match the workflow, in the command's transaction; returns the rows
    as written and the parties (organisation, group, user) that now hold a step. The caller has flushed its
    ORM changes. `stored` are the rows as they stand, when the caller knows them (else they are read);
    `claimed` the assignees this command gave new steps (task id -> username)."""
    wanted_timers, deadline_of = _event_timer_rows(tasks.waiting)
    stored_timers = stored.timers if stored is not None else _stored(session, _TIMERS, instance.id)
    stored_tasks = stored.tasks if stored is not None else _stored(session, _TASKS, instance.id)
    wanted: dict[str, dict[str, Any]] = {}
    specs: dict[str, Any] = {}
    titles: dict[str, str] = {}
    for task in tasks.ready:
        task_id = str(task.id)
        specs[task_id], titles[task_id] = task.task_spec, task_title(task.task_spec, task.data)
        owner = assignment.resolve(definition, task.task_spec.lane, task.data, instance.started_by,
                                   known_organisations)
        before = stored_tasks.get(task_id, {})
        assignee, reminded_at = before.get("assignee"), before.get("reminded_at")
        if assignee is None or owner.assignee is not None:
            assignee = owner.assignee or (claimed or {}).get(task_id)
        due, provisional = _shown_deadline(task, deadline_of)
        if before.get("due_at") != due:
            reminded_at = None  # a moved deadline gets its own reminder
        remind_at = calendar.reminder_at(due) if due else None
        wanted[task_id] = {"organisation": owner.organisation, "group_name": owner.group_name,
                           "assignee": assignee, "due_at": due, "due_provisional": provisional,
                           "remind_at": remind_at, "reminded_at": reminded_at}
        if remind_at is not None and reminded_at is None and task.id in deadline_of:
            name = task.task_spec.bpmn_id or task.task_spec.name
            wanted_timers[REMINDER_PREFIX + task_id] = {
                "kind": "reminder", "task_name": name, "attached_to": name,
                "due_at": remind_at, "rule": None, "rule_days": None, "received_at": None,
                "provisional": provisional}

    def new_task(task_id: str) -> dict[str, Any]:
        spec = specs[task_id]
        key = form_key(spec)
        return {"process_id": instance.process_id, "task_name": spec.bpmn_id or spec.name,
                "title": titles[task_id], "lane": spec.lane, "form_key": key, "created_at": now,
                "form_version": definition.form_versions.get(key or "")}

    _rewrite(session, _TASKS, instance.id, stored_tasks, wanted, new_task)
    _rewrite(session, _TIMERS, instance.id, stored_timers, wanted_timers, lambda _: {})
    # ORM copies of the rows just rewritten would read stale; the next read loads them afresh.
    for row in [o for o in session.identity_map.values()
                if isinstance(o, HumanTask | Timer) and o.instance_id == instance.id]:
        session.expunge(row)
    return Rows(wanted, wanted_timers), {
        (kind, code) for values in wanted.values()
        for kind, code in (("organisation", values["organisation"]), ("group", values["group_name"]),
                           ("user", values["assignee"])) if code}
