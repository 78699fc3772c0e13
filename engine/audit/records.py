"""What users rely on besides the history, checked against the re-execution: the task and timer rows
(who holds a step, when it falls due, which deadline will fire), the case's parties (who may see it), its
and title. The registers check what the replay wrote to them themselves (handlers.registry.replay_checks).

Each is derived as the engine derives it: the rows from the stored workflow state (itself compared with
the replay's), the parties and the title from the replay's state after each command."""
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import projections, runtime
from engine.audit.integrity import Failure
from engine.definitions import LoadedDefinition
from engine.people import access, assignment, directory
from engine.store.models import Event, HumanTask, Instance, InstanceParty, Timer
from engine.timing.clock import local_iso

PARTY_TEXT = {access.ORGANISATION: "单位", access.GROUP: "岗位", access.USER: "用户"}


def _when(value: datetime | None) -> str:
    return local_iso(value) if value is not None else "无"


def _holders(workflow: BpmnWorkflow, definition: LoadedDefinition, starter: str,
             known: Mapping[str, str | None]) -> dict[Any, assignment.Owner]:
    """The owner of every ready step, as a save resolves it."""
    return {task.id: assignment.resolve(definition, task.task_spec.lane, task.data, starter, known)
            for task in projections.ready_human_tasks(workflow)}


def _signature(workflow: BpmnWorkflow, definition: LoadedDefinition, starter: str,
               known: Mapping[str, str | None]) -> tuple[list[tuple], list[tuple]]:
    """What the rows show, without task ids (a replay makes new ones): ready steps with owner and deadline,
    waiting timers with their due time."""
    waiting = projections.waiting_timers(workflow)
    _, deadline_of = projections._event_timer_rows(waiting)
    owners = _holders(workflow, definition, starter, known)
    ready = sorted((t.task_spec.bpmn_id or "", owners[t.id].organisation or "", owners[t.id].group_name or "",
                    _when(projections._shown_deadline(t, deadline_of)[0]))
                   for t in projections.ready_human_tasks(workflow))
    timers = sorted((t.task_spec.bpmn_id or "", _when(due)) for t, due in waiting)
    return ready, timers


class Observer:
    """Follows the replay: the parties a save must have noted, those it may have noted, and the title."""

    def __init__(self, session: Session, instance: Instance, definition: LoadedDefinition):
        self.instance, self.definition = instance, definition
        self.known = directory.codes(session)
        self.must: set[tuple[str, str]] = set()
        self.may: set[tuple[str, str]] = set()
        self.title = definition.name[:300]

    def after(self, workflow: BpmnWorkflow | None, event: Event, command_ends: bool) -> None:
        """Note what the event makes certain; `command_ends` when no later event shares its time (a save)."""
        if event.actor != "system":
            self.must.add((access.USER, event.actor))
        if event.kind == "instance_started":
            self.title = str(event.data.get("data", {}).get("case_title") or self.definition.name)[:300]
        if event.kind in ("task_claimed", "task_reassigned") and event.data.get("assignee"):
            self.must.add((access.USER, event.data["assignee"]))
        if workflow is None:
            return
        holders = {(kind, code) for owner in _holders(workflow, self.definition, self.instance.started_by,
                                                      self.known).values()
                   for kind, code in ((access.ORGANISATION, owner.organisation), (access.GROUP, owner.group_name),
                                      (access.USER, owner.assignee)) if code}
        self.may |= holders
        if command_ends:
            self.must |= holders
            data = runtime.instance_data(workflow)
            if data.get("case_title"):
                self.title = str(data["case_title"])[:300]


def check_parties(session: Session, instance: Instance, observer: Observer, last: int) -> Failure | None:
    """The case's parties are exactly those its record makes (no more: they would see it; no fewer)."""
    stored = {(kind, code) for kind, code in session.execute(
        select(InstanceParty.kind, InstanceParty.code).where(InstanceParty.instance_id == instance.id))}
    for kind, code in sorted(observer.must - stored):
        return Failure(instance.id, last,
                       f"办件当事方{PARTY_TEXT.get(kind, kind)} {code} 被删除（记录表明其办理或经手过本案）")
    for kind, code in sorted(stored - observer.must - observer.may):
        return Failure(instance.id, last,
                       f"办件当事方{PARTY_TEXT.get(kind, kind)} {code} 被添加（记录中没有其办理或经手本案）")
    return None


def check_title(instance: Instance, observer: Observer, last: int) -> Failure | None:
    if instance.title != observer.title:
        return Failure(instance.id, last, f"办件标题被改为「{instance.title}」，记录得出的标题为「{observer.title}」")
    return None


def check_rows(session: Session, instance: Instance, definition: LoadedDefinition, stored: BpmnWorkflow,
               replayed: BpmnWorkflow, events: list[Event], known: Mapping[str, str | None]) -> Failure | None:
    """The task and timer rows are the projections of the stored state, and that state's steps and
    deadlines are the replay's."""
    last = events[-1].seq if events else 0
    tasks = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))}
    timers = {t.id: t for t in session.scalars(select(Timer).where(Timer.instance_id == instance.id))}
    waiting = projections.waiting_timers(stored)
    wanted_timers, deadline_of = projections._event_timer_rows(waiting)
    owners = _holders(stored, definition, instance.started_by, known)
    claimed: dict[str | None, str | None] = {}  # by task id
    reminded: set[tuple[str | None, str | None]] = set()  # (task id, due at)
    for event in events:
        if event.kind in ("task_claimed", "task_reassigned", "task_released"):
            claimed[event.task_id] = event.data.get("assignee")
        elif event.kind == "reminder_sent":
            reminded.add((event.task_id, event.data.get("due_at")))

    def failure(reason: str) -> Failure:
        return Failure(instance.id, last, reason)

    ready = {str(t.id): t for t in projections.ready_human_tasks(stored)}
    for task_id, task in ready.items():
        name = projections.task_title(task.task_spec)
        row, owner = tasks.get(task_id), owners[task.id]
        if row is None:
            return failure(f"待办任务「{name}」({task_id}) 的任务行被删除")
        due, provisional = projections._shown_deadline(task, deadline_of)
        if (row.organisation, row.group_name) != (owner.organisation, owner.group_name):
            return failure(f"任务「{name}」({task_id}) 被移到 {row.organisation or row.group_name or '无'}，"
                           f"应由 {owner.organisation or owner.group_name or '无'} 办理")
        if row.due_at != due or (due is not None and row.due_provisional != provisional):
            return failure(f"任务「{name}」({task_id}) 的办理期限被改为 {_when(row.due_at)}，应为 {_when(due)}")
        assignee = owner.assignee if owner.assignee is not None else claimed.get(task_id)
        if row.assignee != assignee:
            return failure(f"任务「{name}」({task_id}) 的办理人被改为 {row.assignee or '无'}，"
                           f"记录为 {assignee or '无'}")
        if row.reminded_at is not None and row.due_at is not None and row.reminded_at < row.due_at \
                and (task_id, local_iso(row.due_at)) not in reminded:
            return failure(f"任务「{name}」({task_id}) 被标为已催办，记录中没有这次催办（催办将不会发出）")
        if due is not None and task.id in deadline_of and row.remind_at is not None and row.reminded_at is None:
            wanted_timers[projections.REMINDER_PREFIX + task_id] = {"kind": "reminder", "due_at": row.remind_at}
    for task_id in tasks.keys() - ready.keys():
        return failure(f"任务行 {tasks[task_id].title} ({task_id}) 在办件状态中不是待办（被添加）")
    for timer_id, wanted in wanted_timers.items():
        timer_row = timers.get(timer_id)
        what = "催办" if wanted["kind"] == "reminder" else f"定时器 {wanted.get('task_name')}"
        if timer_row is None:
            return failure(f"{what}（{_when(wanted['due_at'])} 到期）的定时器行被删除，该期限将不会触发")
        if timer_row.due_at != wanted["due_at"] or timer_row.kind != wanted["kind"]:
            return failure(f"{what} 的到期时间被改为 {_when(timer_row.due_at)}，应为 {_when(wanted['due_at'])}")
    for timer_id in timers.keys() - wanted_timers.keys():
        return failure(f"定时器行 {timers[timer_id].task_name} ({timer_id}) 在办件状态中没有对应的计时（被添加）")
    mine, theirs = (_signature(wf, definition, instance.started_by, known) for wf in (stored, replayed))
    if mine[0] != theirs[0]:
        return failure("保存的状态中的待办环节、办理单位或期限与重放结果不同")
    if mine[1] != theirs[1]:
        return failure("保存的状态中的定时器或到期时间与重放结果不同")
    return None


def command_ends(events: list[Event]) -> Iterable[tuple[Event, bool]]:
    """Each event, and whether it is the last of its moment (a command saves once, at its one `now`)."""
    for index, event in enumerate(events):
        yield event, index + 1 == len(events) or events[index + 1].at != event.at
