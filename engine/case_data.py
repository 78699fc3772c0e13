"""A case's data as people see them, from its workflow."""
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


def main_path(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The end's data when finished, else the latest step's on the process's own path: an event sub-process
    that ran beside it (a repeat complaint merged in) hands back only what it was started with, not the case."""
    if workflow.is_completed() or workflow.last_task is None:
        return workflow.data
    last = workflow.last_task
    beside = set(getattr(workflow.spec.start, "trigger_specs", ()) or ())  # the event sub-processes
    if getattr(last.task_spec, "spec", None) in beside:
        done = [t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id
                and getattr(t.task_spec, "spec", None) not in beside]
        last = max(done, key=lambda t: t.last_state_change, default=last)
    return last.data


def with_objects(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The main path's data with the process's data objects, which all its paths share (e.g. who complained)."""
    data = main_path(workflow)
    return {**(workflow.data.get("data_objects") or {}), **{k: v for k, v in data.items() if k != "data_objects"}}
