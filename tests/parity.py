"""One diagram driven two ways, compared at every step: through Zhunru (each command restores the case from the
database, as a new process would) and by SpiffWorkflow alone in memory."""
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import definitions, messages, projections, runtime
from engine.people import directory
from engine.store import serialization
from engine.store.models import Instance
from tests.conftest import at

DataFor = Callable[[str, int], dict[str, Any]]


def _no_data(name: str, step: int) -> dict[str, Any]:
    return {}


class Raw:
    """SpiffWorkflow alone, in memory, run as its documentation runs it."""

    def __init__(self, files: list[tuple[str, bytes]], process_id: str, start: dict[str, Any]):
        parser = SpiffBpmnParser()
        for name, content in files:
            parser.add_bpmn_str(content, name)
        self.workflow = BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update(start)
        self.error: Exception | None = None
        self.steps(lambda: None)
        # A process that starts on a message is started by a sender throwing it with the start data.
        for task in projections.waiting_message_tasks(self.workflow):
            if isinstance(task.task_spec, StartEvent) and self.error is None:
                self.steps(lambda t=task: self.workflow.catch(BpmnEvent(t.task_spec.event_definition, dict(start))))

    def steps(self, action: Callable[[], None]) -> None:
        try:
            action()
            self.workflow.do_engine_steps()
        except Exception as exc:  # noqa: BLE001 - the engine must stop on the same step with an error
            self.error = exc


def ready_ids(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in projections.ready_human_tasks(workflow)]


def waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    return messages.awaited_names(workflow)


def visible_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    return json.loads(json.dumps(runtime.instance_data(workflow), default=str))


class Both:
    def __init__(self, sessions, files: list[tuple[str, bytes]], process_id: str, start: dict[str, Any],
                 now: datetime | None = None):
        self.sessions, self.now = sessions, now or at("2026-03-02 09:00")
        now = self.now
        with sessions() as s, s.begin():
            definitions.deploy(s, files, "admin", now)
        self.raw = Raw(files, process_id, start)
        with sessions() as s, s.begin():
            self.id = runtime.start_instance(s, process_id, start, directory.actor(s, "admin"), now).id

    def stored(self) -> tuple[Instance, BpmnWorkflow]:
        with self.sessions() as s:
            instance = s.get(Instance, self.id)
            specs = definitions.load(s, instance.definition_id).specs
            return instance, serialization.restore(instance.state, specs)

    def compare(self) -> Instance:
        instance, workflow = self.stored()
        if self.raw.error is not None:
            assert instance.status == "error", f"SpiffWorkflow stopped ({self.raw.error}), Zhunru did not"
            return instance
        assert instance.error_message is None, instance.error_message
        assert ready_ids(workflow) == ready_ids(self.raw.workflow)
        assert waiting_messages(workflow) == waiting_messages(self.raw.workflow)
        assert visible_data(workflow) == visible_data(self.raw.workflow)
        assert (instance.status == "completed") == self.raw.workflow.is_completed()
        return instance

    def complete_first(self, data: dict[str, Any]) -> str:
        raw_task = projections.ready_human_tasks(self.raw.workflow)[0]
        name = raw_task.task_spec.bpmn_id
        twins = [t for t in projections.ready_human_tasks(self.raw.workflow) if t.task_spec.bpmn_id == name]
        ordinal = twins.index(raw_task)
        _, workflow = self.stored()
        ours = [t for t in projections.ready_human_tasks(workflow) if t.task_spec.bpmn_id == name][ordinal]

        def submit() -> None:
            if hasattr(raw_task.task_spec, "add_data_from_form"):  # as SpiffWorkflow's documentation submits forms
                raw_task.task_spec.add_data_from_form(raw_task, data)
            else:
                raw_task.data.update(data)
            raw_task.run()
        self.raw.steps(submit)
        with self.sessions() as s, s.begin():
            runtime.complete_task(s, str(ours.id), data, directory.actor(s, "admin"), self.now)
        return name

    def message(self, name: str, payload: dict[str, Any]) -> None:
        event = messages.event_for(self.raw.workflow, name, payload)
        self.raw.steps(lambda: self.raw.workflow.catch(event))
        with self.sessions() as s, s.begin():
            runtime.deliver_message(s, instance_id=self.id, name=name, payload=payload,
                                    actor=directory.actor(s, "admin"), now=self.now)

    def run(self, data_for: DataFor = _no_data, messages: dict[str, dict[str, Any]] | None = None,
            limit: int = 60) -> list[str]:
        """Complete the first ready task (else deliver the first awaited message named in `messages`) until
        neither is left, comparing after every step; returns the steps taken."""
        taken = []
        for step in range(limit):
            self.compare()
            if self.raw.error is not None:
                break
            if projections.ready_human_tasks(self.raw.workflow):
                name = projections.ready_human_tasks(self.raw.workflow)[0].task_spec.bpmn_id
                taken.append(self.complete_first(data_for(name, step)))
                continue
            awaited = [m for m in waiting_messages(self.raw.workflow) if m in (messages or {})]
            if not awaited:
                break
            self.message(awaited[0], messages[awaited[0]])
            taken.append(f"message:{awaited[0]}")
        self.compare()
        return taken

    def status(self) -> str:
        with self.sessions() as s:
            return s.scalar(select(Instance.status).where(Instance.id == self.id))
