"""The inputs a command applies to a workflow, written once for the runtime that applies them and the audit
replay that applies them again: a form submission, a retry of failed steps, and the firing of due timers."""
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import projections

Due = tuple[Any, datetime, Any]  # a waiting timer, when it falls due, the activity it is attached to (or None)


def form_data(task: Any) -> dict[str, Any]:
    """The data a user task's form opens on: under the task's spiffworkflow:variableName, when it has one."""
    variable = getattr(task.task_spec, "variable", None)
    current = task.data.get(variable) if variable else task.data
    return current if isinstance(current, dict) else {}


def put_form_data(task: Any, data: dict[str, Any]) -> None:
    """A submission replaces the fields it names; with spiffworkflow:variableName it goes under that variable,
    as Spiff's add_data_from_form puts it."""
    variable = getattr(task.task_spec, "variable", None)
    if variable:
        task.set_data(**{variable: data})
    else:
        task.data.update(data)


def submit(task: Any, data: dict[str, Any]) -> Callable[[], None]:
    """Completing a user task with a submission."""
    def apply() -> None:
        put_form_data(task, data)
        task.run()
    return apply


def retry(failed: Iterable[Any]) -> Callable[[], None]:
    """Running failed steps again."""
    def apply() -> None:
        for task in failed:
            task._set_state(TaskState.READY)
    return apply


def due_timers(workflow: BpmnWorkflow, before: datetime) -> list[Due]:
    """The waiting timers due before the moment, with the activity each is attached to."""
    return [(t, d, projections.attached_activity(t)) for t, d in projections.waiting_timers(workflow) if d < before]


def mark_lapsed(due: list[Due]) -> list[Due]:
    """After the timers fired: the step whose deadline passed and that is still to do remembers when it was
    due (its card shows it late); returns the timers that did fire."""
    fired = []
    for timer, due_at, activity in due:
        if timer.state == TaskState.WAITING:
            continue
        fired.append((timer, due_at, activity))
        if activity is not None and activity.state == TaskState.READY:
            activity._set_internal_data(**{projections.LAPSED: due_at.isoformat()})
    return fired
