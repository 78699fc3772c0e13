"""Proof that a case's record was not altered: its hash chain, its evidence, and a re-execution.

The re-execution replays the recorded inputs (start data, completions, messages, timer firings, recounts,
retries) at their recorded times and calendars, in a fresh in-memory SpiffWorkflow with the deployed
definition version, answering service calls as they were answered, and compares the outcome with what
is stored: the same path at every step, the same data, the same status.
"""
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import decisions, definitions, messages, projections, runtime, steps
from engine.audit import checkpoints, records
from engine.audit.integrity import Failure, check_chain, check_evidence, events_of
from engine.errors import HandlerError, ZhunruError
from engine.operator_context import AnyOrganisation, OperatorContext, RegisterWrite, ReplayEffects
from engine.people import directory
from engine.sandbox import ZhunruScriptEngine
from engine.store import serialization
from engine.store.models import Definition, Event, HumanTask, Instance, Organisation, StoredFile, User
from engine.timing import calendar, holidays
from engine.timing.clock import local_iso, running_at
from engine.timing.deadlines import card as deadline_card
from handlers import registry


class Divergence(Exception):
    """The replay went elsewhere than the record."""


class _Replay:
    def __init__(self, session: Session, instance: Instance, events: list[Event]):
        self.session = session
        self.instance = instance
        self.definition = definitions.load(session, instance.definition_id)
        self.answers: dict[str | None, deque] = defaultdict(deque)  # by the recorded step's name
        self.decided: dict[str | None, deque] = defaultdict(deque)  # what each business rule task's table answered
        for event in events:
            if event.kind == "service_called":
                self.answers[event.task_name].append(event.data)
            elif event.kind == "decision_evaluated":
                self.decided[event.task_name].append(event.data)
        self.workflow: BpmnWorkflow | None = None
        self.now: datetime | None = None
        self.script_engine = ZhunruScriptEngine(self._call_service)
        self.cancelled = False
        self.timer_path: list[str] = []
        self.actor = "system"  # who did the event being replayed
        self.register_writes: list[RegisterWrite] = []  # checked by the registers afterwards

    def _call_service(self, task: Any, operator_name: str, params: dict[str, Any]) -> Any:
        name = task.task_spec.bpmn_id
        if not self.answers[name]:
            raise Divergence(f"环节 {name} 调用了服务 {operator_name}，但记录中没有这次调用")
        answer = self.answers[name].popleft()
        if answer.get("operator") != operator_name:
            raise Divergence(f"环节 {name} 调用的服务 {operator_name} 与记录的 {answer.get('operator')} 不同")
        if "error" in answer:  # that the step failed is compared, not the words it failed with
            raise HandlerError(operator_name, name, answer["error"])
        operator = registry.get(operator_name)
        if operator is not None and operator.replayed:
            # Its effect on the case is done again (an extension moves a deadline) and its register writes are
            # noted for the register's check; what it answered is the record's answer, whatever it answers now.
            assert self.now is not None  # set before each event is applied
            context = OperatorContext(
                session=self.session, now=self.now, actor=self.actor, case_id=self.instance.id,
                case_title=self.instance.title, step=name, data=dict(task.data),
                effects=ReplayEffects(workflow=self.running), known_organisations=AnyOrganisation(),
                specs=(task.workflow.spec.task_specs, self.running.spec.task_specs),
                replay_writes=self.register_writes)
            with contextlib.suppress(Exception):
                operator.handle(operator.load(params), context)
        return answer.get("result")

    @property
    def running(self) -> BpmnWorkflow:
        """The workflow being replayed, once the record started it."""
        if self.workflow is None:
            raise Divergence("记录的第一个事件不是办件发起")
        return self.workflow

    def _steps(self, action: Callable[[], None] | None) -> list[str]:
        workflow = self.running
        before = projections.completed_ids(workflow)
        try:
            if action is not None:
                action()
            workflow.do_engine_steps()
        except Exception as exc:  # noqa: BLE001 - the original recorded the same failure as an error event
            cause = getattr(exc, "exception", None) or exc.__cause__
            if isinstance(exc, Divergence):
                raise exc from None
            if isinstance(cause, Divergence):
                raise cause from None
        self._check_decisions(before)
        return projections.path_since(workflow, before)

    def _check_decisions(self, before: set[Any]) -> None:
        """Each decision table evaluated again (on the version pinned by the case's definition version) must
        answer as recorded."""
        for _, task_name, replayed in decisions.evaluated(self.running, before, self.definition.decisions):
            if not self.decided[task_name]:
                raise Divergence(f"环节 {task_name} 重放时评估了决策表 {replayed['decision']}，但记录中没有这次评估")
            recorded = self.decided[task_name].popleft()
            if _canonical(recorded.get("result")) != _canonical(replayed["result"]) or \
                    recorded.get("version") != replayed["version"]:
                raise Divergence(f"环节 {task_name} 的决策表 {replayed['decision']} v{replayed['version']} 重放结果 "
                                 f"{_canonical(replayed['result'])} 与记录的 {_canonical(recorded.get('result'))} "
                                 f"(v{recorded.get('version')}) 不同")

    def _waiting(self, predicate: Callable[[Any], bool]) -> list[Any]:
        return [t for t in self.running.get_tasks(state=TaskState.WAITING) if predicate(t)]

    def apply(self, event: Event) -> list[str] | None:
        """Re-run one recorded input; returns the path it took (None for events that only record)."""
        kind, data = event.kind, event.data
        self.actor = event.actor
        if kind == "instance_started":
            workflow = self.workflow = self.definition.specs.new_workflow()
            workflow.script_engine = self.script_engine

            return self._steps(lambda: projections.seed_start(workflow, data["data"], data.get("trigger")))
        workflow = self.running
        if kind == "timer_fired":
            # Only a timer then due: one of the same element that a step of this very firing armed is not it.
            pending = self._waiting(lambda t: t.task_spec.bpmn_id == event.task_name
                                    and (due := projections.timer_due(t)) is not None and due < event.at)
            if not pending:
                return self.timer_path  # fired together with an earlier timer of the same moment
            due = steps.due_timers(workflow, event.at)
            self.timer_path = self._steps(workflow.refresh_timers)
            steps.mark_lapsed(due)
            return self.timer_path
        if kind == "task_completed":
            ready = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                     if t.task_spec.bpmn_id == event.task_name]
            if not ready:
                raise Divergence(f"重放时环节 {event.task_name} 不在待办状态")
            ordinal = data.get("ordinal", 0)
            if ordinal >= len(ready):
                raise Divergence(f"重放时环节 {event.task_name} 只有 {len(ready)} 个待办，"
                                 f"记录办理的是第 {ordinal + 1} 个")
            task = next((t for t in ready if str(t.id) == event.task_id), ready[ordinal])
            return self._steps(steps.submit(task, data["data"]))
        if kind == "message_received":
            if event.task_name is None:
                raise Divergence("记录的消息没有名称")
            try:
                message = messages.event_for(workflow, event.task_name, data["payload"])
            except ZhunruError as exc:
                raise Divergence(f"重放时消息 {event.task_name} 未能送达: {exc}") from exc
            return self._steps(lambda: workflow.catch(message))
        if kind == "retried":
            return self._steps(steps.retry(workflow.get_tasks(state=TaskState.ERROR)))
        if kind == "deadline_recounted":
            for moved in data["timers"]:
                timers = self._waiting(_named(moved["timer"]))
                if not timers:
                    raise Divergence(f"重放时定时器 {moved['timer']} 不在计时")
                timers[0]._set_internal_data(event_value=datetime.fromisoformat(moved["new_due"]).isoformat())
            return None
        if kind == "instance_cancelled":
            workflow.cancel()
            self.cancelled = True
            return None
        if kind == "error" and not workflow.get_tasks(state=TaskState.ERROR):
            raise Divergence(f"记录中环节 {event.task_name} 出错，重放时没有出错")
        return None

    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.running.is_completed():
            return "completed"
        return "error" if self.running.get_tasks(state=TaskState.ERROR) else "running"


def _named(name: str) -> Callable[[Any], bool]:
    """Whether a task is of the element `name`."""
    return lambda task: task.task_spec.bpmn_id == name


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def check_replay(session: Session, instance: Instance, events: list[Event]) -> Failure | None:
    """Re-execute the recorded inputs and compare path, data and status with what is stored."""
    replay = _Replay(session, instance, events)
    observer = records.Observer(session, instance, replay.definition)
    for event, command_ends in records.command_ends(events):
        replay.now = event.at
        with running_at(event.at), calendar.using(holidays.at_revision(session, event.data.get("calendar"))):
            try:
                path = replay.apply(event)
            except Divergence as exc:
                return Failure(instance.id, event.seq, str(exc))
        observer.after(replay.workflow, event, command_ends)
        if path is not None and "path" in event.data and path != event.data["path"]:
            shown, recorded = " → ".join(path) or "（无）", " → ".join(event.data["path"]) or "（无）"
            return Failure(instance.id, event.seq, f"重放路径 {shown} 与记录 {recorded} 不同")
    if replay.workflow is None:
        return Failure(instance.id, 1, "没有可重放的记录")
    last = events[-1].seq if events else 0
    unreplayed = next((name for name, recorded in replay.decided.items() if recorded), None)
    if unreplayed is not None:
        return Failure(instance.id, last, f"记录中环节 {unreplayed} 的决策表评估在重放时没有发生")
    if replay.status() != instance.status:
        return Failure(instance.id, last, f"重放后状态为 {replay.status()}，记录的状态为 {instance.status}")
    stored = serialization.restore(instance.state, replay.definition.specs)
    if _canonical(runtime.instance_data(replay.workflow)) != _canonical(runtime.instance_data(stored)):
        return Failure(instance.id, last, "重放后的办件数据与保存的数据不同")
    replayed_steps = sorted(t.task_spec.bpmn_id for t in replay.workflow.get_tasks(state=TaskState.COMPLETED)
                            if t.task_spec.bpmn_id)
    stored_steps = sorted(t.task_spec.bpmn_id for t in stored.get_tasks(state=TaskState.COMPLETED)
                          if t.task_spec.bpmn_id)
    if replayed_steps != stored_steps:
        return Failure(instance.id, last, "重放后完成的环节与保存的状态不同")
    return (records.check_rows(session, instance, replay.definition, stored, replay.workflow, events,
                                     directory.codes(session))
            or records.check_parties(session, instance, observer, last)
            or records.check_title(instance, observer, last)
            or _registers_failure(session, instance, replay.register_writes, last))


def _registers_failure(session: Session, instance: Instance, writes: list[RegisterWrite], last: int) -> Failure | None:
    for check in registry.replay_checks():
        found = check(session, instance.id, writes)
        if found:
            return Failure(instance.id, last, found)
    return None


def verify_instance(session: Session, instance: Instance) -> Failure | None:
    events = events_of(session, instance.id)
    return (check_chain(instance, events) or check_evidence(session, instance, events)
            or check_replay(session, instance, events))


def verify(session: Session, instance_ids: list[str] | None = None,
           anchors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`audit verify`: {"verified": N, "failed": [{instance_id, seq, reason}]}; the cases are also held against
    the stored checkpoints and the exported ones (`anchors`), so a deleted case or a recomputed chain is found."""
    query = select(Instance).order_by(Instance.started_at, Instance.id)
    if instance_ids is not None:
        query = query.where(Instance.id.in_(instance_ids))
    verified, failed = 0, []
    found = set()
    for instance in session.scalars(query):
        found.add(instance.id)
        failure = verify_instance(session, instance)
        if failure is None:
            verified += 1
        else:
            failed.append(failure.as_dict())
    stored = checkpoints.entries(session)
    heads = checkpoints.check_heads(session, stored, instance_ids, "")
    failed += [] if instance_ids is not None else checkpoints.check_chain(stored, "")
    if anchors is not None:
        failed += checkpoints.check_chain(anchors, "导出的") + checkpoints.compare(stored, anchors)
        heads = checkpoints.check_heads(session, anchors, instance_ids, "导出的") | heads
    named = {f["instance_id"] for f in failed}
    for instance_id, anchor_failure in heads.items():
        if instance_id not in named:  # a case found only by its anchor no longer counts as verified
            verified -= instance_id in found
            failed.append(anchor_failure)
    failed += [{"instance_id": i, "seq": 0, "reason": "办件不存在"} for i in (instance_ids or [])
               if i not in found and i not in heads]
    return {"verified": verified, "failed": failed}



def _flows(xml: str) -> list[tuple[str, str, str]]:
    """(flow id, source, target) of every sequence flow in the diagram."""
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    return [(f.get("id"), f.get("sourceRef"), f.get("targetRef"))
            for f in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}sequenceFlow")]


def _ids(workflow: BpmnWorkflow, state: TaskState) -> set[str]:
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=state) if t.task_spec.bpmn_id}


def timeline(session: Session, instance: Instance) -> list[dict[str, Any]]:
    """The case step by step, as the replay page shows it: after each recorded event, the elements
    done, active and waiting, the flows taken, the data changed, the deadlines and their cards as of
    that moment, and the evidence with its hashes."""
    events = list(session.scalars(select(Event).where(Event.instance_id == instance.id).order_by(Event.seq)))
    replay = _Replay(session, instance, events)
    flows = _flows(session.get_one(Definition, instance.definition_id).xml)
    organisation_of = dict(session.execute(select(User.username, Organisation.code)
                                           .join(Organisation, Organisation.id == User.organisation_id)).all())
    specs = replay.definition.spec.task_specs
    steps: list[dict[str, Any]] = []
    before: dict[str, Any] = {}
    for event in events:
        if event.kind in ("service_called", "decision_evaluated"):
            continue
        replay.now = event.at
        cal = holidays.at_revision(session, event.data.get("calendar"))
        with running_at(event.at), calendar.using(cal):
            try:
                replay.apply(event)
            except Divergence as exc:
                steps.append({"seq": event.seq, "divergence": str(exc)})
                break
        wf = replay.workflow
        data = runtime.instance_data(wf)
        done, waiting = _ids(wf, TaskState.COMPLETED), _ids(wf, TaskState.WAITING)
        active = _ids(wf, TaskState.READY) | _ids(wf, TaskState.ERROR)
        deadlines_now = []
        for timer, due in projections.waiting_timers(wf):
            activity = projections.attached_activity(timer)
            deadlines_now.append({"timer": timer.task_spec.bpmn_id, "due_at": local_iso(due),
                                  "step": projections.task_title(activity.task_spec) if activity else None,
                                  "card": deadline_card(due, cal.reminder_at(due), event.at)})
        names = dict(session.execute(select(StoredFile.id, StoredFile.filename)
                                     .where(StoredFile.id.in_(list(event.data.get("files") or {})))).all())
        steps.append({
            "seq": event.seq, "at": local_iso(event.at), "actor": event.actor,
            "organisation": organisation_of.get(event.actor), "kind": event.kind,
            "step": projections.task_title(specs[event.task_name]) if event.task_name in specs else event.task_name,
            "done": sorted(done), "active": sorted(active), "waiting": sorted(waiting),
            "flows": sorted(f for f, src, dst in flows if src in done and (dst in done or dst in active | waiting)),
            "changed": {k: v for k, v in data.items() if before.get(k) != v},
            "deadlines": deadlines_now,
            "files": [{"file_id": f, "filename": names.get(f, f), "sha256": h}
                      for f, h in (event.data.get("files") or {}).items()],
        })
        before = dict(data)
    return steps


def element_counts(session: Session, definition_id: int, instance_ids: list[str], now: datetime
                   ) -> dict[str, dict[str, Any]]:
    """Across cases of one version: how often each element was passed, how many wait there now, and
    the mean hours a step took (from the previous event of its case to its completion)."""
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: {"passed": 0, "waiting": 0, "hours": []})
    previous: dict[str, datetime] = {}
    rows: Iterable[Event] = session.scalars(select(Event).where(Event.instance_id.in_(instance_ids))
                                            .order_by(Event.instance_id, Event.seq)) if instance_ids else []
    for event in rows:
        for element in event.data.get("path") or []:
            counts[element]["passed"] += 1
        if event.kind == "task_completed" and event.task_name is not None and event.instance_id in previous:
            counts[event.task_name]["hours"].append((event.at - previous[event.instance_id]).total_seconds() / 3600)
        previous[event.instance_id] = event.at
    for task_name, created in session.execute(select(HumanTask.task_name, HumanTask.created_at)
                                              .where(HumanTask.instance_id.in_(instance_ids))) if instance_ids else []:
        counts[task_name]["waiting"] += 1
        counts[task_name]["hours"].append((now - created).total_seconds() / 3600)
    return {k: {"passed": v["passed"], "waiting": v["waiting"],
                "mean_hours": round(sum(v["hours"]) / len(v["hours"]), 1) if v["hours"] else None}
            for k, v in counts.items()}
